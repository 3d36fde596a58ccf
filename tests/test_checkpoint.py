"""al.checkpoint: the same gradients as without it, from one recorded node per segment;
parameters read from outside get theirs; a nondeterministic segment is refused.
(The memory it saves is measured by examples/transforms_benchmark.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al

rng = np.random.default_rng(0)


def make_mlp(depth=6, width=5):
    return [(al.tensor(rng.standard_normal((width, width)) / np.sqrt(width), requires_grad=True),
             al.tensor(rng.standard_normal(width) * 0.1, requires_grad=True)) for _ in range(depth)]


def run(layers, x, segment=None):
    """The MLP's loss, each ``segment`` layers checkpointed (None: no checkpointing)."""
    def block(h, i, j):
        for w, b in layers[i:j]:
            h = al.tanh(h @ w + b)
        return h

    h, step = x, segment or len(layers)
    for i in range(0, len(layers), step):
        f = (lambda h, i=i: block(h, i, i + step))
        h = al.checkpoint(f)(h) if segment else f(h)
    return al.sum(h * h)


def grads(layers, x, segment):
    for w, b in layers:
        w.grad = b.grad = None
    x.grad = None
    run(layers, x, segment).backward()
    return [x.grad] + [g for w, b in layers for g in (w.grad, b.grad)]


@pytest.mark.parametrize("segment", [1, 2, 3])
def test_checkpointed_gradients_are_identical(segment):
    layers, x = make_mlp(), al.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    plain, ckpt = grads(layers, x, None), grads(layers, x, segment)
    for a, b in zip(plain, ckpt):
        np.testing.assert_array_equal(a, b)


def test_a_checkpointed_segment_is_one_node_that_keeps_only_its_inputs():
    layers, x = make_mlp(depth=4), al.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    plain = run(layers, x)
    ckpt = run(layers, x, segment=2)
    names = [n.op.name for n in al.toposort([ckpt.node])]
    assert names.count("checkpoint") == 2 and "tanh" not in names
    assert len(al.toposort([plain.node])) > len(names)
    first = next(n for n in al.toposort([ckpt.node]) if n.op.name == "checkpoint" and n.parents[0] is x)
    # The segment's input, then the parameters it read, in the order it read them.
    assert list(first.parents[1:]) == [layers[0][0], layers[0][1], layers[1][0], layers[1][1]]


def test_gradients_through_al_grad_and_second_order():
    w = al.tensor(rng.standard_normal(3), requires_grad=True)
    f = lambda x: al.sum(al.sin(x * w) ** 2)  # noqa: E731
    x = al.tensor(rng.standard_normal(3))
    g_plain = al.grad(f)(x)
    g_ckpt = al.grad(lambda x: al.checkpoint(f)(x))(x)
    np.testing.assert_allclose(g_ckpt.data, g_plain.data, rtol=1e-14)
    # gradients() w.r.t. the parameter read from outside, without touching w.grad.
    (gw,) = al.gradients(al.checkpoint(f)(x), [w])
    (gw_plain,) = al.gradients(f(x), [w])
    np.testing.assert_allclose(gw, gw_plain, rtol=1e-14)
    assert w.grad is None
    # Second order: the Hessian-vector product through a checkpoint.
    v = al.tensor(rng.standard_normal(3))
    np.testing.assert_allclose(al.hvp(lambda x: al.checkpoint(f)(x))(x, v).data,
                               al.hvp(f)(x, v).data, rtol=1e-12)


def test_forward_mode_through_a_checkpoint():
    w = al.tensor(rng.standard_normal(3))
    f = lambda x: al.tanh(x * w) * x  # noqa: E731
    x, v = al.tensor(rng.standard_normal(3)), al.tensor(rng.standard_normal(3))
    np.testing.assert_allclose(al.jvp(al.checkpoint(f), (x,), (v,))[1].data,
                               al.jvp(f, (x,), (v,))[1].data, rtol=1e-14)


def test_an_nn_block_with_its_parameters():
    nn = pytest.importorskip("nn")
    block = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))
    x = al.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    block(x).sum().backward()
    want = [p.grad.copy() for p in block.parameters()]
    block.zero_grad()
    al.checkpoint(block)(x).sum().backward()
    for p, g in zip(block.parameters(), want):
        np.testing.assert_array_equal(p.grad, g)


def test_a_nondeterministic_segment_is_refused():
    draws = np.random.default_rng(1)
    x = al.tensor(rng.standard_normal(4), requires_grad=True)
    y = al.checkpoint(lambda h: h * al.tensor(draws.random(4)))(x)
    with pytest.raises(RuntimeError, match="must be deterministic"):
        y.sum().backward()


def test_checkpoint_passes_through_when_nothing_needs_a_gradient():
    x = al.tensor(np.ones(3))
    y = al.checkpoint(al.exp)(x)
    assert y.node is None
    with al.no_grad():
        assert al.checkpoint(al.exp)(al.tensor(np.ones(3), requires_grad=True)).node is None
    with pytest.raises(TypeError, match="must return one Tensor"):
        al.checkpoint(lambda h: (h, h))(al.tensor(np.ones(2), requires_grad=True))
    # Keyword arguments are constants of the segment.
    z = al.tensor(np.array([1.0, 2.0]), requires_grad=True)
    al.checkpoint(lambda h, scale: h * scale)(z, scale=3.0).sum().backward()
    np.testing.assert_allclose(z.grad, [3.0, 3.0])


def test_a_20_layer_mlp_step_allocates_half_the_memory_with_checkpoints(monkeypatch):
    """The issue's figure, on a narrower MLP (peak bytes from tracemalloc are
    deterministic; the benchmark prints them for width 256)."""
    import sys
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "examples"))
    sys.modules.pop("transforms_benchmark", None)
    import transforms_benchmark as tb

    plain, ckpt = tb.bench_checkpoint(depth=20, width=32, batch=1024, segments=[None, 4], repeats=0)
    assert ckpt["identical_grads"]
    assert plain["peak_mb"] >= 2 * ckpt["peak_mb"], (plain, ckpt)


def test_the_benchmark_runs_quickly(capsys, monkeypatch):
    import sys
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "examples"))
    sys.modules.pop("transforms_benchmark", None)
    import transforms_benchmark as tb

    res = tb.main(["--quick"])
    out = capsys.readouterr().out
    assert "1. JVP of the MNIST MLP" in out and "2. Checkpointing" in out
    assert all(r["identical_grads"] for r in res["checkpoint"])
