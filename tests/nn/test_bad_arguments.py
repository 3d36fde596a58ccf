"""Issue #18 in nn: optimisers and schedulers refuse bad arguments by name, anomaly
mode shows the user's line through nested modules, and the CLI's graph command says
what to do with a graph too large to lay out."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.cli as cli
from nn.optim import lr_scheduler as sched

OPTIMIZERS = [nn.optim.SGD, nn.optim.Adagrad, nn.optim.RMSprop, nn.optim.Adam, nn.optim.AdamW,
              nn.optim.NAdam, nn.optim.Lion, nn.optim.AdaBelief]


# ---- 8. optimisers --------------------------------------------------------------------

@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_a_module_instead_of_its_parameters_says_what_to_pass(cls):
    for model in (nn.Linear(2, 3), nn.Sequential(nn.Linear(2, 3), nn.ReLU())):
        with pytest.raises(TypeError, match=rf"{cls.__name__}: params must be the parameters, not "
                                            rf"the {type(model).__name__} module itself: pass "
                                            rf"model.parameters\(\)"):
            cls(model)


@pytest.mark.parametrize("cls", OPTIMIZERS)
@pytest.mark.parametrize("lr", [math.inf, -math.inf, math.nan])
def test_a_non_finite_lr_is_refused(cls, lr):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: invalid lr {lr!r}"):
        cls(nn.Linear(2, 3).parameters(), lr=lr)


def test_other_hyper_parameters_must_be_finite_numbers():
    params = list(nn.Linear(2, 3).parameters())
    with pytest.raises(ValueError, match="SGD: invalid momentum inf; expected a finite number"):
        nn.optim.SGD(params, lr=0.1, momentum=math.inf)
    with pytest.raises(ValueError, match="Adam: invalid weight_decay nan"):
        nn.optim.Adam(params, weight_decay=math.nan)
    with pytest.raises(TypeError, match=r"Adam: invalid lr '0.1'; expected a number \(>= 0\)"):
        nn.optim.Adam(params, lr="0.1")
    with pytest.raises(TypeError, match="SGD: params must be an iterable of Tensors or of dicts "
                                        "\\(parameter groups\\), got NoneType"):
        nn.optim.SGD(None)


# ---- 9. schedulers ------------------------------------------------------------------

def _opt() -> nn.optim.Optimizer:
    return nn.optim.SGD(nn.Linear(2, 3).parameters(), lr=0.1)


SCHEDULER_ERRORS = [
    (lambda o: sched.CosineAnnealingLR(o, T_max="10"), ValueError,
     "CosineAnnealingLR: T_max must be a positive int, got '10'"),
    (lambda o: sched.CosineAnnealingLR(o, T_max=10, eta_min=-1e-3), ValueError,
     "CosineAnnealingLR: eta_min must be a finite number >= 0"),
    (lambda o: sched.MultiStepLR(o, [2, 4.5]), ValueError,
     "MultiStepLR: each milestone must be an int >= 0, got 4.5"),
    (lambda o: sched.MultiStepLR(o, ["3"]), ValueError, "MultiStepLR: each milestone"),
    (lambda o: sched.MultiStepLR(o, 3), TypeError, "MultiStepLR: milestones must be a list of ints"),
    (lambda o: sched.ExponentialLR(o, gamma=-0.5), ValueError,
     "ExponentialLR: gamma must be a finite number >= 0, got -0.5"),
    (lambda o: sched.ExponentialLR(o, gamma="0.9"), TypeError,
     "ExponentialLR: gamma must be a number, got '0.9'"),
    (lambda o: sched.StepLR(o, 2, gamma=math.nan), ValueError, "StepLR: gamma must be a finite"),
    (lambda o: sched.ReduceLROnPlateau(o).step(None), TypeError,
     "ReduceLROnPlateau.step: metrics must be a number .* got None"),
    (lambda o: sched.ReduceLROnPlateau(o).step("low"), TypeError, "metrics must be a number"),
    (lambda o: sched.ReduceLROnPlateau(o, patience=-1), ValueError,
     "ReduceLROnPlateau: patience must be an int >= 0"),
    (lambda o: sched.ReduceLROnPlateau(o, min_lr=-1.0), ValueError,
     "ReduceLROnPlateau: min_lr must be a finite number >= 0"),
    (lambda o: sched.StepLR(o, 2).load_state_dict([1, 2]), TypeError,
     "StepLR.load_state_dict: expected a dict from state_dict\\(\\), got list"),
    (lambda o: sched.StepLR(o, 2).load_state_dict(None), TypeError, "got NoneType"),
    (lambda o: sched.ReduceLROnPlateau(o).load_state_dict("best"), TypeError,
     "ReduceLROnPlateau.load_state_dict: expected a dict"),
    (lambda o: sched.SequentialLR(o, [sched.StepLR(o, 2), sched.StepLR(o, 3)], [2])
     .load_state_dict(3), TypeError, "SequentialLR.load_state_dict: expected a dict"),
    (lambda o: sched.StepLR(o, 2).load_state_dict({"gamma": "0.5"}), ValueError,
     "StepLR.load_state_dict: 'gamma' is '0.5', but this scheduler's is 0.1"),
    (lambda o: sched.StepLR(o, 2).load_state_dict({"last_epoch": None}), ValueError,
     "'last_epoch' is None"),
    (lambda o: sched.StepLR(o, 2).load_state_dict({"base_lrs": [0.1, 0.2]}), ValueError,
     "'base_lrs' has 2 values for 1 parameter groups"),
    (lambda o: sched.ReduceLROnPlateau(o).load_state_dict({"patience": "3"}), ValueError,
     "'patience' is '3'"),
    (lambda o: sched.LambdaLR(o, lambda e: -1.0 if e else 1.0).step(), ValueError,
     r"LambdaLR.step: the schedule gives lr -0.1 at epoch 1; an lr must be finite and >= 0"),
    (lambda o: sched.LambdaLR(o, lambda e: None if e else 1.0).step(), TypeError,
     r"LambdaLR: lr_lambda\(1\) must be a number, got None"),
    (lambda o: sched.StepLR(o, 2).step("3"), TypeError, "StepLR.step: epoch must be a number"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, div_factor=0), ValueError,
     "OneCycleLR: div_factor must be a finite number > 0"),
    (lambda o: sched.OneCycleLR(o, max_lr="1", total_steps=10), TypeError,
     "OneCycleLR: max_lr must be a number"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0, epochs="2", steps_per_epoch=5), ValueError,
     "OneCycleLR: epochs must be a positive int"),
    (lambda o: sched.SequentialLR(o, [sched.StepLR(o, 2), sched.StepLR(o, 3)], [2.5]),
     ValueError, "SequentialLR: each milestone must be a positive int, got 2.5"),
]


@pytest.mark.parametrize("make, error, message", SCHEDULER_ERRORS,
                         ids=[m for _, _, m in SCHEDULER_ERRORS])
def test_schedulers_refuse_bad_arguments_by_name(make, error, message):
    with pytest.raises(error, match=message):
        make(_opt())


def test_a_refused_state_or_step_changes_nothing():
    opt = _opt()
    s = sched.StepLR(opt, 2)
    before = s.state_dict()
    with pytest.raises(ValueError):
        s.load_state_dict({"last_epoch": 3, "gamma": "x"})
    assert s.state_dict() == before
    s.step()
    s.step()
    s.load_state_dict(s.state_dict())  # a genuine state still loads
    e = sched.ExponentialLR(opt, 0.5)
    e.gamma = -0.5  # set by hand: the step that would make the lr negative is refused
    with pytest.raises(ValueError, match="ExponentialLR.step: the schedule gives lr -0.005"):
        e.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01) and e.last_epoch == 0


# ---- 10. anomaly mode through nested modules ------------------------------------------

class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.ReLU()),
                                  nn.Sequential(nn.Linear(3, 1), nn.Tanh()))

    def forward(self, x):
        return self.body(x)  # the user's line


def test_anomaly_shows_the_users_line_through_nested_modules():
    net = _Net()
    net.body[0][0].weight.data[:] = 3e38
    x = al.tensor(np.array([[3e38, -3e38]], np.float32))
    with np.errstate(over="ignore", invalid="ignore"), al.detect_anomaly(), \
            pytest.raises(al.AnomalyError) as info:
        net(x)
    where = info.value.where
    assert where.frames[0][2] == "forward" and where.frames[0][0] == __file__
    assert str(where).endswith("return self.body(x)  # the user's line")
    lines = str(info.value).splitlines()
    assert lines[-2].endswith("return self.body(x)  # the user's line")
    # Below it, nn's frames on one line, innermost last: the module calls, then Linear.
    assert lines[-1].startswith("    ... then 6 library frames: module.py:")
    assert lines[-1].endswith(" forward") and "linear.py" in lines[-1]
    assert all(nn.__path__[0] in f for f, _, _ in where.library)
    # The graph's tooltip, which shows one line, shows the user's.
    with al.detect_anomaly(check_nan=False):
        y = _Net()(al.tensor([[1.0, 2.0]]))
    assert str(y.node.where).endswith("# the user's line")


def test_register_library_takes_a_module_or_a_directory(tmp_path):
    from autograd_lite import anomaly, frames
    before = frames._LIBRARY_DIRS
    try:
        anomaly.register_library(nn)  # already registered: no duplicate
        assert frames._LIBRARY_DIRS == before
        anomaly.register_library(tmp_path)
        assert frames._LIBRARY_DIRS[-1] == f"{tmp_path}{__import__('os').sep}"
        with pytest.raises(TypeError, match="register_library: expected a module or a directory"):
            anomaly.register_library(42)
    finally:
        frames._LIBRARY_DIRS = before


# ---- 11. the CLI's graph command on a huge graph -----------------------------------------

def test_graph_of_a_huge_script_tensor_says_what_to_do(tmp_path, capsys):
    script = tmp_path / "big.py"
    script.write_text("import autograd_lite as al\n"
                      "y = al.tensor([1.0], requires_grad=True)\n"
                      "for _ in range(6000):\n    y = y * 1.0\n")
    status = cli.main(["graph", "--script", str(script), "--tensor", "y",
                       "-o", str(tmp_path / "out" / "g.svg")])
    err = capsys.readouterr().err
    assert status == 2
    assert "graph: render: the graph has 6,001 nodes, more than max_nodes=5,000" in err
    assert "--collapse K, or --format dot" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
