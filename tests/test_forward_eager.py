"""The eager forward-mode pass of ``al.jvp`` (forward_eager.py): for every registered op
and for composed functions on hypothesis-drawn shapes (broadcasting, 0-d, size 0), it
gives the values and tangents of the recorded path and of central differences; it
records no graph and keeps no activation; what it cannot follow (a transform or a
backward inside f) goes to the recorded path with the right answer; in-place changes
that would make a tangent stale are refused."""

from __future__ import annotations

import gc
import threading
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import forward_eager, graph
from autograd_lite.forward import _jvp
from autograd_lite.ops import Op
from autograd_lite.testing import strategies as als
from autograd_lite.testing.strategies import op_samples

OPS = sorted(Op.registry.values(), key=lambda op: op.name)
EPS = 1e-6


def eager(f, primals, tangents, **kw):
    return _jvp(f, tuple(primals), tuple(tangents), kw.get("has_aux", False), "jvp")


def recorded(f, primals, tangents, **kw):
    return _jvp(f, tuple(primals), tuple(tangents), kw.get("has_aux", False), "jvp", eager=False)


def nodes_made(fn):
    """How many graph nodes ``fn()`` records (every node takes a number from this counter)."""
    before = graph._next_seq()
    fn()
    return graph._next_seq() - before - 1


class Spy:
    """Counts the eager passes that ran to the end (and the ones that fell back)."""

    def __init__(self, monkeypatch):
        self.done = self.fell_back = 0
        real = forward_eager.jvp

        def spy(*a, **k):
            try:
                res = real(*a, **k)
            except forward_eager.Fallback:
                self.fell_back += 1
                raise
            self.done += 1
            return res

        monkeypatch.setattr(forward_eager, "jvp", spy)


def _close(a, b, what, rtol=1e-6, atol=1e-9):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


# ---- the same numbers as the recorded path and as central differences ---------------

@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_eager_equals_recorded(op, monkeypatch):
    spy = Spy(monkeypatch)

    @settings(max_examples=4, deadline=None)
    @given(sample=op_samples(op), seed=st.integers(0, 2**32 - 1))
    def run(sample, seed):
        xs, params = sample.inputs, sample.params
        diff = [i for i, x in enumerate(xs) if x.dtype.kind == "f" and i not in op.nondiff]
        assume(diff)
        rng = np.random.default_rng(seed)
        ts = [rng.standard_normal(xs[i].shape).astype(xs[i].dtype) for i in diff]

        def call(*dx):
            args = list(xs)
            for i, d in zip(diff, dx):
                args[i] = d
            return op.apply(list(args), **params) if op.arity is None else op.apply(*args, **params)

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # the mean of nothing
            try:
                want_out, want_t = recorded(call, [al.tensor(xs[i]) for i in diff], ts)
            except (ValueError, TypeError, IndexError):
                assume(False)   # a drawn call the op refuses: refused on both paths alike
            assume(np.all(np.isfinite(want_out.data)) and np.all(np.isfinite(want_t.data)))
            out, t = eager(call, [al.tensor(xs[i]) for i in diff], ts)
        assert type(out) is al.Tensor and type(t) is al.Tensor
        _close(out.data, want_out.data, f"{op.name}: value ({sample.describe()})", rtol=0, atol=0)
        _close(t.data, want_t.data, f"{op.name}: tangent ({sample.describe()})", rtol=1e-12, atol=1e-12)
        assert t.dtype == want_t.dtype and out.dtype == want_out.dtype

    run()
    assert spy.done > 0 and spy.fell_back == 0


def _net(x, w, b):
    """Matmul, broadcasting, elementwise ops, reductions, indexing and a softmax."""
    h = al.tanh(x @ w + b)
    s = al.softmax(h * al.exp(-al.sum(x * x, axis=-1, keepdims=True)), axis=-1)
    return al.cumsum(al.relu(s - 0.1)[..., ::-1], axis=-1), al.sum(h ** 2)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 3), k=st.integers(1, 4), m=st.integers(1, 4), lead=als.shapes(max_dims=1, max_side=2),
       seed=st.integers(0, 2**32 - 1))
def test_eager_jvp_of_a_composed_function_matches_recorded_and_central_differences(n, k, m, lead, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal(lead + (n, k)), rng.standard_normal((k, m)), rng.standard_normal(())
    tx, tw, tb = rng.standard_normal(x.shape), rng.standard_normal(w.shape), rng.standard_normal(())
    prim, tan = [al.tensor(x), al.tensor(w), al.tensor(b)], [tx, tw, tb]
    out, t = eager(_net, prim, tan)
    want_out, want_t = recorded(_net, prim, tan)
    for a, e in zip(out + t, want_out + want_t):
        _close(a.data, e.data, "eager against recorded", rtol=1e-12, atol=1e-12)
    with al.no_grad():
        hi = _net(al.tensor(x + EPS * tx), al.tensor(w + EPS * tw), al.tensor(b + EPS * tb))
        lo = _net(al.tensor(x - EPS * tx), al.tensor(w - EPS * tw), al.tensor(b - EPS * tb))
    for a, h, lo_ in zip(t, hi, lo):
        _close(a.data, (h.data - lo_.data) / (2 * EPS), "J t against central differences", rtol=1e-5, atol=1e-7)


def test_pytrees_aux_and_outputs_that_do_not_depend_on_the_inputs(monkeypatch):
    spy = Spy(monkeypatch)
    p = {"w": al.tensor(np.arange(3.0)), "b": [al.tensor(np.array(2.0))]}
    tp = {"w": np.ones(3), "b": [np.array(0.5)]}
    const = al.tensor(np.ones(2))
    keep = []

    def f(p):
        h = p["w"] * p["b"][0]
        keep.append(h)
        return {"h": h, "c": const, "n": 3.0}, {"h": h, "note": "x"}

    out, t, aux = al.jvp(f, (p,), (tp,), has_aux=True)
    assert spy.done == 1
    np.testing.assert_array_equal(t["h"].data, np.ones(3) * 2.0 + np.arange(3.0) * 0.5)
    np.testing.assert_array_equal(t["c"].data, np.zeros(2))
    np.testing.assert_array_equal(t["n"].data, 0.0)
    # Results and aux are plain Tensors (the Dual stays inside the pass); aux keeps the rest.
    assert type(out["h"]) is al.Tensor and type(aux["h"]) is al.Tensor and aux["note"] == "x"
    # A Dual that escaped (here through a list) carries no tangent into a later pass.
    _, t2 = al.jvp(lambda y: y * keep[0], (al.tensor(np.ones(3)),), (np.ones(3),))
    np.testing.assert_array_equal(t2.data, keep[0].data)
    untouched = {"a": [1, 2]}
    assert al.jvp(lambda y: (y * 2, untouched), (al.tensor(1.0),), (np.ones(()),), has_aux=True)[2] is untouched


def test_returning_an_input_returns_a_copy_of_its_tangent():
    v = np.ones(3)
    _, t = al.jvp(lambda y: y, (al.tensor(np.zeros(3)),), (v,))
    t.data[0] = 5.0
    assert v[0] == 1.0


# ---- records nothing, keeps nothing ------------------------------------------------------

def _mlp(x, W1, b1, W2, b2):
    return al.linear(al.relu(al.linear(x, W1, b1)), W2, b2)


def test_the_eager_pass_records_no_node_where_the_recorded_path_records_them():
    rng = np.random.default_rng(0)
    args = [al.tensor(rng.standard_normal(s)) for s in [(5, 4), (3, 4), (3,), (2, 3), (2,)]]
    tans = [rng.standard_normal(a.shape) for a in args]
    for grad_mode in (True, False):
        with al.set_grad_enabled(grad_mode):
            assert nodes_made(lambda: eager(_mlp, args, tans)) == 0
            assert nodes_made(lambda: eager(lambda x: _mlp(x, *args[1:]), args[:1], tans[:1])) == 0
            # The probe sees nodes: the recorded path makes them (marks and the three ops).
            assert nodes_made(lambda: recorded(_mlp, args, tans)) >= 3


def test_an_intermediate_is_freed_as_soon_as_f_drops_it():
    seen = {}

    def f(x):
        a = x * 2.0
        ref = weakref.ref(a.data)
        b = al.sin(a)
        del a
        gc.collect()
        seen["alive"] = ref() is not None   # the recorded path's sin node saved it
        return b

    x, v = al.tensor(np.linspace(0, 1, 1000)), np.ones(1000)
    eager(f, [x], [v])
    assert seen["alive"] is False
    recorded(f, [x], [v])
    assert seen["alive"] is True


# ---- what the eager pass cannot follow: the recorded path, with the right answer -------

def test_transforms_and_backward_inside_f_fall_back_to_the_recorded_path(monkeypatch):
    spy = Spy(monkeypatch)
    x, v = al.tensor(np.array([0.3, -1.2, 2.0])), np.array([1.0, 0.5, -2.0])
    f = lambda y: al.sum(al.sin(y) * y)   # noqa: E731
    hv = al.jvp(al.grad(f), (x,), (v,))[1]           # forward over reverse: H v
    d2 = 2 * np.cos(x.data) - x.data * np.sin(x.data)
    np.testing.assert_allclose(hv.data, d2 * v, rtol=1e-12)
    assert spy.fell_back == 1
    tt = al.jvp(lambda y: al.jvp(lambda z: al.sin(z) * z, (y,), (v,))[1], (x,), (v,))[1]
    np.testing.assert_allclose(tt.data, d2 * v * v, rtol=1e-12)

    def swallowing(y):   # an except Exception in f does not swallow the fallback
        try:
            return al.grad(f)(y)
        except Exception:   # noqa: BLE001
            return y * 0.0

    np.testing.assert_allclose(al.jvp(swallowing, (x,), (v,))[1].data, d2 * v, rtol=1e-12)

    def with_backward(y):
        w = al.tensor(np.ones(3), requires_grad=True)
        (w * y * y).sum().backward()
        return y * al.tensor(w.grad)   # w.grad = y * y, an array: a constant to both paths

    before = spy.fell_back
    np.testing.assert_allclose(al.jvp(with_backward, (x,), (v,))[1].data, x.data ** 2 * v, rtol=1e-12)
    assert spy.fell_back == before + 1
    assert graph.forward_hooks == []
    assert al.hooks.forward_hooks() == ()


def test_a_backward_in_another_thread_neither_stops_the_pass_nor_fails(monkeypatch):
    spy = Spy(monkeypatch)
    errors = []

    def other():
        try:
            w = al.tensor(np.ones(2), requires_grad=True)
            (w * 2.0).sum().backward()
        except BaseException as e:   # noqa: BLE001  (a Fallback raised here would be lost)
            errors.append(e)

    def f(y):
        th = threading.Thread(target=other)
        th.start()
        th.join()
        return y * 3.0

    _, t = al.jvp(f, (al.tensor(np.ones(2)),), (np.ones(2),))
    assert errors == [] and spy.done == 1 and spy.fell_back == 0
    np.testing.assert_array_equal(t.data, 3.0)


def test_a_closed_over_parameter_keeps_the_tangent_differentiable_without_a_fallback(monkeypatch):
    spy = Spy(monkeypatch)
    x, v = al.tensor(np.array([0.5, 1.0])), np.array([1.0, -1.0])
    w = al.tensor(np.array([2.0, 3.0]), requires_grad=True)
    _, t = al.jvp(lambda y: al.sin(y * w), (x,), (v,))
    assert spy.done == 1 and t.requires_grad
    t.sum().backward()
    xs = x.data
    np.testing.assert_allclose(w.grad, -np.sin(xs * w.data) * xs * v * w.data + np.cos(xs * w.data) * v,
                               rtol=1e-12)


def test_a_forward_hook_sees_every_op_and_the_tap_stays_private():
    seen = []
    with al.hooks.register_forward_hook(lambda op, ins, out, node: seen.append((op.name, al.hooks.forward_hooks()))):
        al.jvp(lambda y: al.exp(y) * 2.0, (al.tensor(np.ones(2)),), (np.ones(2),))
    assert [name for name, _ in seen] == ["exp", "multiply"]
    assert all(len(hs) == 1 for _, hs in seen)   # the user's hook only


# ---- in place ------------------------------------------------------------------------------

def test_an_in_place_change_of_a_value_that_carries_a_tangent_is_refused():
    def later_used(y):
        z = y * 2.0
        with al.no_grad():
            z *= 3.0          # z's tangent would still be 2 v
        return al.sin(z)

    def returned(y):
        z = y * 2.0
        with al.no_grad():
            z *= 3.0
        return z

    for f in (later_used, returned):
        with pytest.raises(al.InplaceModificationError, match="modified in place"):
            al.jvp(f, (al.tensor(np.ones(3)),), (np.ones(3),))
    # A write to something f never used with a tangent is fine.
    buf = al.tensor(np.zeros(3))

    def writes_a_buffer(y):
        with al.no_grad():
            buf.add_(1.0)
        return y * buf

    _, t = al.jvp(writes_a_buffer, (al.tensor(np.ones(3)),), (np.ones(3),))
    np.testing.assert_array_equal(t.data, np.ones(3))
