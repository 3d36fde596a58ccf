"""Module forward pre-hooks, forward hooks and full backward hooks, against PyTorch:
arguments, order, replacement, removal, and gradients through create_graph."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
W = RNG.standard_normal((2, 3))
B = RNG.standard_normal(2)
X = RNG.standard_normal((4, 3))


def _np(t):
    if t is None:
        return None
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(getattr(t, "data", t))


def _linear(lib):
    if lib == "torch":
        m = torch.nn.Linear(3, 2).double()
        with torch.no_grad():
            m.weight.copy_(torch.tensor(W))
            m.bias.copy_(torch.tensor(B))
        return m, torch.tensor(X, requires_grad=True)
    m = nn.Linear(3, 2).double()
    m.load_state_dict({"weight": W, "bias": B})
    return m, al.tensor(X, requires_grad=True)


class _Mul(nn.Module):
    def forward(self, a, scale, b):
        return a * b * scale, a + b


class _TorchMul(torch.nn.Module):
    def forward(self, a, scale, b):
        return a * b * scale, a + b


def _log_hooks(m, log):
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre", [_np(a) for a in args])))
    m.register_forward_hook(lambda mod, args, out: log.append(("fwd", _np(out))))
    m.register_full_backward_hook(lambda mod, gi, go: log.append(
        ("bw", [_np(g) for g in gi], [_np(g) for g in go])))


def _same(a, b):
    assert type(a) is type(b) or (a is None) == (b is None), (a, b)
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
    elif isinstance(a, str):
        assert a == b
    elif a is not None:
        np.testing.assert_allclose(a, b)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
@pytest.mark.parametrize("x_grad", [True, False])
def test_linear_hooks_see_what_torch_hooks_see(x_grad):
    logs = {}
    for lib in ("al", "torch"):
        m, x = _linear(lib)
        x.requires_grad_(x_grad)
        log = logs[lib] = []
        _log_hooks(m, log)
        y = m(x)
        (y * y).sum().backward()
        log.append(("wgrad", _np(m.weight.grad)))
    assert [e[0] for e in logs["al"]] == ["pre", "fwd", "bw", "wgrad"]
    _same(logs["al"], logs["torch"])  # grad_input is (None,) when x needs no gradient


def test_two_inputs_two_outputs_and_a_non_tensor_argument_like_torch():
    logs, grads = {}, {}
    for lib, Mod, T in (("al", _Mul, al.tensor), ("torch", _TorchMul, torch.tensor)):
        a = T(X, requires_grad=True)
        b = T(X[::-1].copy(), requires_grad=True)
        m = Mod()
        log = logs[lib] = []
        m.register_full_backward_hook(lambda mod, gi, go, log=log: log.append(
            ([_np(g) for g in gi], [_np(g) for g in go])))
        p, q = m(a, 3.0, b)
        (p * q).sum().backward()
        grads[lib] = (_np(a.grad), _np(b.grad))
    _same(logs["al"], logs["torch"])
    _same(grads["al"], grads["torch"])


def test_replacing_input_output_and_grad_input_like_torch():
    res = {}
    for lib in ("al", "torch"):
        m, x = _linear(lib)
        m.register_forward_pre_hook(lambda mod, args: args[0] * 2.0)  # one value: a 1-tuple
        m.register_forward_hook(lambda mod, args, out: out + 1.0)
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 3.0,))
        y = m(x)
        (y * y).sum().backward()
        res[lib] = (_np(y), _np(x.grad), _np(m.weight.grad))
    _same(res["al"], res["torch"])


def test_order_prepend_and_remove():
    m, x = _linear("al")
    log = []
    h1 = m.register_forward_hook(lambda *a: log.append(1))
    m.register_forward_hook(lambda *a: log.append(2))
    m.register_forward_hook(lambda *a: log.append(0), prepend=True)
    hb = m.register_full_backward_hook(lambda *a: log.append("b1"))
    m.register_full_backward_hook(lambda *a: log.append("b2"))
    m(x).sum().backward()
    assert log == [0, 1, 2, "b1", "b2"]
    log.clear()
    h1.remove()
    hb.remove()
    m(x).sum().backward()
    assert log == [0, 2, "b2"]


def test_with_kwargs_hooks():
    m, x = _linear("al")
    seen = []
    m.register_forward_pre_hook(lambda mod, args, kw: ((args[0] * 0.0,), kw), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kw, out: seen.append(kw), with_kwargs=True)
    y = m(x)
    np.testing.assert_allclose(_np(y), np.broadcast_to(B, (4, 2)))
    assert seen == [{}]
    m2, _ = _linear("al")
    m2.register_forward_pre_hook(lambda mod, args, kw: 5, with_kwargs=True)
    with pytest.raises(TypeError, match=r"Linear forward pre-hook.*\(args, kwargs\)"):
        m2(x)


def test_full_backward_hook_under_create_graph_matches_torch_second_order():
    res = {}
    for lib in ("al", "torch"):
        m, x = _linear(lib)
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * gi[0],))
        y = m(x)
        if lib == "torch":
            (gx,) = torch.autograd.grad((y * y).sum(), [x], create_graph=True)
        else:
            (gx,) = al.gradients((y * y).sum(), [x], create_graph=True)
        (gx * gx).sum().backward()
        res[lib] = (_np(gx), _np(m.weight.grad))
    _same(res["al"], res["torch"])


def test_bad_hook_returns_raise():
    m, x = _linear("al")
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(ValueError, match="Linear full backward hook returned 2 gradients"):
        m(x).sum().backward()
    m2, x2 = _linear("al")
    m2.register_full_backward_hook(lambda mod, gi, go: (np.ones(3),))
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(4, 3\)"):
        m2(x2).sum().backward()
    with pytest.raises(TypeError, match="callable"):
        m2.register_forward_hook(None)


def test_no_hooks_no_wrapping_and_nothing_recorded_under_no_grad():
    m, x = _linear("al")
    y = m(x)
    assert y.node.op.name in ("linear", "add", "matmul")  # the layer's own op, nothing added
    m.register_full_backward_hook(lambda *a: None)
    with al.no_grad():
        assert m(x).node is None
