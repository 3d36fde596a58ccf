"""Tensor.register_hook and Tensor.retain_grad, against PyTorch's behaviour: order,
replacement, removal, leaves and intermediates, al.grad, and create_graph."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import graph

X0 = np.array([0.5, -1.0, 2.0])


def _np(t):
    """The values of an autograd_lite or torch tensor (or an ndarray)."""
    if hasattr(t, "detach") and hasattr(t, "numpy") and not isinstance(t, al.Tensor):
        return t.detach().numpy().copy()
    return np.array(getattr(t, "data", t))


def _chain(lib, x):
    y = x * 2.0
    z = y * y + x * 3.0
    return y, z


def _run(lib, hooks_on_y=(), hooks_on_x=(), retain=True):
    """Forward/backward of one small graph in autograd_lite or torch; what hooks saw."""
    seen = []
    if lib == "torch":
        torch = pytest.importorskip("torch")
        x = torch.tensor(X0, requires_grad=True)
    else:
        x = al.tensor(X0, requires_grad=True)
    y, z = _chain(lib, x)
    for tag, f in hooks_on_y:
        y.register_hook(lambda g, tag=tag, f=f: (seen.append((tag, _np(g))), f(g))[1])
    for tag, f in hooks_on_x:
        x.register_hook(lambda g, tag=tag, f=f: (seen.append((tag, _np(g))), f(g))[1])
    if retain:
        y.retain_grad()
    z.sum().backward()
    return seen, _np(x.grad), (_np(y.grad) if retain else None)


@pytest.mark.parametrize("hy, hx", [
    ([("a", lambda g: None)], []),
    ([("a", lambda g: g * 10), ("b", lambda g: g + 1)], []),
    ([("a", lambda g: None), ("b", lambda g: g * -1)], [("c", lambda g: g * 0.5)]),
    ([], [("c", lambda g: g + 2), ("d", lambda g: None), ("e", lambda g: g * 3)]),
])
def test_hooks_order_replacement_and_retain_grad_match_torch(hy, hx):
    ours = _run("al", hy, hx)
    theirs = _run("torch", hy, hx)
    assert [t for t, _ in ours[0]] == [t for t, _ in theirs[0]]  # order
    for (_, a), (_, b) in zip(ours[0], theirs[0]):
        np.testing.assert_allclose(a, b)  # each hook saw the previous one's result
    np.testing.assert_allclose(ours[1], theirs[1])  # the replacement reached the leaf
    np.testing.assert_allclose(ours[2], theirs[2])  # retain_grad keeps the value after hooks


def test_a_leaf_hook_sees_the_sum_of_its_contributions_once():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.copy()))
    (x * 3.0 + x * 5.0).sum().backward()
    assert len(seen) == 1 and np.allclose(seen[0], [8.0, 8.0])


def test_remove_undoes_a_hook_and_a_handle_is_a_context_manager():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 100)
    with x.register_hook(lambda g: g + 1):
        (x * 1.0).sum().backward()
    assert np.allclose(x.grad, [101.0, 101.0])
    x.grad = None
    h.remove()
    h.remove()  # idempotent
    (x * 1.0).sum().backward()
    assert np.allclose(x.grad, [1.0, 1.0])


def test_hooks_run_under_al_grad_like_torch_autograd_grad():
    torch = pytest.importorskip("torch")
    x = al.tensor(X0, requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: g * 10)
    (gy,) = al.gradients((y * y).sum(), [y])
    x.register_hook(lambda g: g * 100)
    (gx,) = al.gradients((y * y).sum(), [x])
    tx = torch.tensor(X0, requires_grad=True)
    ty = tx * 2.0
    ty.register_hook(lambda g: g * 10)
    (tgy,) = torch.autograd.grad((ty * ty).sum(), [ty])
    tx.register_hook(lambda g: g * 100)
    (tgx,) = torch.autograd.grad((ty * ty).sum(), [tx])
    np.testing.assert_allclose(_np(gy), _np(tgy))
    np.testing.assert_allclose(_np(gx), _np(tgx))


def test_hooks_work_with_create_graph_second_order_like_torch():
    torch = pytest.importorskip("torch")

    def second(lib, x):
        y = x * x * x
        y.register_hook(lambda g: g * y)  # a hook built from ops: differentiated too
        y.sum().backward(create_graph=True)
        g1 = x.grad
        x.grad = None
        (g1 * g1).sum().backward()
        return _np(g1), _np(x.grad)

    ours = second("al", al.tensor(X0, requires_grad=True))
    theirs = second("torch", torch.tensor(X0, requires_grad=True))
    np.testing.assert_allclose(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1])


def test_retain_grad_accumulates_over_backward_passes_and_is_a_copy():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    out = (y * 2.0).sum()
    out.backward(retain_graph=True)
    out.backward()
    assert np.allclose(y.grad, [4.0, 4.0]) and np.allclose(x.grad, [4.0, 4.0])
    y.grad[0] = 99.0  # an edit of the retained gradient changes nothing else
    assert np.allclose(x.grad, [4.0, 4.0])


def test_bad_hooks_and_bad_returns_raise_clear_errors():
    c = al.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        c.register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="retain_grad"):
        c.retain_grad()
    x = al.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)
    (x * 1.0).register_hook(lambda g: np.ones(3, g.dtype))
    y = x * 2.0
    y.register_hook(lambda g: np.ones(3, g.dtype))
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(2,\)"):
        y.sum().backward()
    z = x * 2.0
    z.register_hook(lambda g: g.astype(np.float64))
    with pytest.raises(TypeError, match="dtype float64.*float32"):
        z.sum().backward()


def test_hook_entries_go_with_their_tensor_and_cost_nothing_after():
    before = len(graph.tensor_hooks)
    x = al.tensor([1.0], requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: g)
    x.register_hook(lambda g: g)
    assert len(graph.tensor_hooks) == before + 2
    del x, y
    assert len(graph.tensor_hooks) == before


def test_has_tensor_hooks_answers_without_making_an_entry():
    before = len(graph.tensor_hooks)
    x = al.tensor([1.0], requires_grad=True)
    y = x * 2.0
    assert not al.hooks.has_tensor_hooks(x) and not al.hooks.has_tensor_hooks(y)
    assert len(graph.tensor_hooks) == before
    x.register_hook(lambda g: g)
    y.retain_grad()
    assert al.hooks.has_tensor_hooks(x) and al.hooks.has_tensor_hooks(y)
    assert not al.hooks.has_tensor_hooks(y * 1.0)
