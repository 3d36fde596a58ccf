"""nn.optim.make_optimizer / make_scheduler: optimisers and schedules by name (what the
``autograd-lite mnist`` command's --optimizer and --schedule choose)."""

from __future__ import annotations

import pytest

from nn import optim
from nn.models import TwoLayerNet
from nn.optim import registry


@pytest.mark.parametrize("name, cls, extra", [
    ("sgd", "SGD", {"momentum": 0.0}), ("momentum", "SGD", {"momentum": 0.9, "nesterov": False}),
    ("nesterov", "SGD", {"nesterov": True}), ("rmsprop", "RMSprop", {}),
    ("adam", "Adam", {"weight_decay": 0.0}), ("adamw", "AdamW", {"weight_decay": 0.01}),
])
def test_make_optimizer(name, cls, extra):
    opt = optim.make_optimizer(name, list(TwoLayerNet(4).parameters()))
    assert type(opt).__name__ == cls
    group = opt.param_groups[0]
    assert group["lr"] == registry.DEFAULT_LR[name]
    for k, v in extra.items():
        assert group[k] == v
    assert optim.make_optimizer(name, list(TwoLayerNet(4).parameters()), lr=0.3,
                                weight_decay=0.2).param_groups[0]["weight_decay"] == 0.2
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        optim.make_optimizer("lbfgs", [])


def _lrs(name, total=100):
    opt = optim.make_optimizer("sgd", list(TwoLayerNet(4).parameters()), lr=1.0)
    sched = optim.make_scheduler(name, opt, total)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(total):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def test_schedules():
    cosine = _lrs("cosine")
    assert cosine[0] == 1.0 and cosine[50] == pytest.approx(0.5) and cosine[100] == pytest.approx(0)
    assert all(a >= b for a, b in zip(cosine, cosine[1:]))
    step = _lrs("step")
    assert step[49] == 1.0 and step[50] == pytest.approx(0.1) and step[75] == pytest.approx(0.01)
    opt = optim.make_optimizer("sgd", list(TwoLayerNet(4).parameters()))
    assert optim.make_scheduler("none", opt, 10) is None
    with pytest.raises(ValueError, match="unknown schedule 'linear'"):
        optim.make_scheduler("linear", opt, 10)
