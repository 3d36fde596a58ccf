"""A CNN training loop in float32: every value the engine computes stays float32 (no
float64 temporaries), and memory does not grow from step to step. Speed and the 1,000-step
memory figures are printed by ``python examples/benchmark_cnn.py``; nothing is timed here."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F
from autograd_lite.hooks import register_backward_hook, register_forward_hook


def _arrays(value):
    """Every ndarray in ``value`` (an array, or tuples and lists of them, or None)."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _arrays(v)


def _conv_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, bias=False), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout2d(0.25), nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(8 * 7 * 7, 10))


class _Float64Finder:
    """Forward and backward hooks that record every floating array the engine makes
    that is not float32: op outputs, what ops save for their VJPs, cotangents."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.count = 0

    def _look(self, where: str, value) -> None:
        for a in _arrays(value):
            self.count += 1
            if a.dtype.kind == "f" and a.dtype != np.float32:
                self.seen.append(f"{where}: {a.dtype} {a.shape}")

    def forward(self, op, inputs, out, node) -> None:
        self._look(f"{op.name} output", out)
        if node is not None:
            self._look(f"{op.name} saved", node.saved)

    def backward(self, node, g, dxs) -> None:
        self._look(f"{node.op.name} cotangent", g)
        self._look(f"{node.op.name} VJP", dxs)


@pytest.mark.parametrize("make, optimizer", [
    (lambda: nn.models.LeNet(batch_norm=True), lambda ps: nn.optim.Adam(ps, lr=1e-3)),
    (_conv_net, lambda ps: nn.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-4)),
], ids=["lenet-adam", "conv-bn-dropout2d-sgd"])
def test_a_float32_cnn_training_loop_computes_nothing_in_float64(make, optimizer):
    nn.manual_seed(0)
    model = make()
    opt = optimizer(list(model.parameters()))
    rng = np.random.default_rng(0)
    finder = _Float64Finder()
    with register_forward_hook(finder.forward), register_backward_hook(finder.backward):
        for _ in range(3):
            x = rng.random((8, 1, 28, 28), dtype=np.float32)
            loss = F.cross_entropy(model(x), rng.integers(0, 10, 8))
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with al.no_grad():
            logits = model(rng.random((4, 1, 28, 28), dtype=np.float32))
    assert finder.count > 100  # the hooks really saw the loop
    assert finder.seen == []
    assert logits.dtype == np.float32
    for name, v in model.state_dict().items():
        assert np.asarray(v).dtype == (np.int64 if name.endswith("num_batches_tracked") else np.float32), name
    for state in opt.state.values():
        for k, v in state.items():
            assert not isinstance(v, np.ndarray) or v.dtype != np.float64, k


def test_the_float64_finder_finds_a_float64_temporary():
    # The hooks above could miss everything; a float64 input to one op shows they do not.
    finder = _Float64Finder()
    w = al.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    with register_forward_hook(finder.forward), register_backward_hook(finder.backward):
        (w * al.Tensor(np.ones((2, 3)))).sum().backward()
    assert any("multiply output: float64" in s for s in finder.seen)


def _traced_growth(steps: int, keep_graphs: bool) -> tuple[int, int]:
    """Train a LeNet with BatchNorm2d (batch 8, Adam) for ``steps`` steps, tracing
    allocations; returns what was allocated after step 25 and after the last step, in
    bytes. ``keep_graphs`` makes the loop leak the way a real one does by mistake:
    it keeps every step's loss with its graph (``retain_graph=True``)."""
    rng = np.random.default_rng(0)
    data = [(rng.random((8, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 8)) for _ in range(4)]
    nn.manual_seed(0)
    model = nn.models.LeNet(batch_norm=True)
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    kept = []
    tracemalloc.start()
    try:
        for i in range(1, steps + 1):
            x, y = data[i % len(data)]
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward(retain_graph=keep_graphs)
            opt.step()
            if keep_graphs:
                kept.append(loss)
            del loss
            if i == 25:
                early = tracemalloc.get_traced_memory()[0]
        late = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return early, late


# Growth allowed between step 25 and step 100: 256 KB, 3.5 KB a step (measured: 5 KB in
# all, over 100 steps). One kept graph of this LeNet at batch 8 holds 2 MB. The loop
# is short because tracemalloc makes every step several times slower.
GROWTH_BOUND = 2**18


def test_memory_stays_flat_over_a_hundred_training_steps():
    early, late = _traced_growth(100, keep_graphs=False)
    assert late - early < GROWTH_BOUND, f"grew by {(late - early) / 2**10:.0f} KB from step 25 to 100"


def test_the_memory_bound_catches_a_loop_that_keeps_its_graphs():
    early, late = _traced_growth(30, keep_graphs=True)
    assert late - early > GROWTH_BOUND
