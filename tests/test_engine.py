"""Backward semantics: accumulation, reuse, freeing, no_grad, deep graphs, higher order."""

import gc
import weakref

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor
from autograd_lite.ops.linalg import Matmul


def test_the_readme_example():
    rng = np.random.default_rng(0)
    x = Tensor(rng.random((32, 784)).astype(np.float32))
    W = Tensor(rng.standard_normal((128, 784)).astype(np.float32) * 0.05, requires_grad=True)
    b = Tensor(np.zeros(128, np.float32), requires_grad=True)
    loss = (x @ W.T + b).relu().mean()
    loss.backward()
    z = x.data @ W.data.T + b.data
    g = (z > 0) / z.size
    np.testing.assert_allclose(W.grad, g.T @ x.data, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(b.grad, g.sum(0), rtol=1e-5)
    assert W.grad.shape == W.shape and W.grad.dtype == np.float32 and x.grad is None


def test_reused_nodes_and_diamonds():
    a = Tensor([3.0], requires_grad=True, dtype=np.float64)
    b = a + a
    c = b * b               # c = 4 a^2 -> dc/da = 8a
    c.backward()
    assert a.grad.tolist() == [24.0]
    a.grad = None
    h = a.exp()
    out = h * h.sin() + h   # a diamond through h
    out.backward()
    e = np.exp(3.0)
    np.testing.assert_allclose(a.grad, [(np.sin(e) + e * np.cos(e) + 1) * e])


def test_leaves_accumulate_across_backward_calls():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [3 + 2, 3 + 4])


def test_leaf_gradients_never_share_buffers():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    g = np.arange(3.0)
    (a + b).backward(g)
    a.grad *= 10          # an in-place edit (gradient clipping does this)
    assert b.grad.tolist() == [0.0, 1.0, 2.0] and g.tolist() == [0.0, 1.0, 2.0]


def test_a_first_gradient_only_its_vjp_holds_is_handed_over_as_it_is(monkeypatch):
    # A column-major weight's gradient is a transposed view of a product nothing else
    # holds: backward gives it to the leaf with no bookkeeping (no _hand_over call).
    from autograd_lite import backward as bw
    calls = []
    real = bw._hand_over
    monkeypatch.setattr(bw, "_hand_over", lambda dx, handed: calls.append(dx.shape) or real(dx, handed))
    x = Tensor(np.ones((4, 3), np.float32))
    w = Tensor(np.asfortranarray(np.ones((2, 3), np.float32)), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    al.linear(x, w, b).sum().backward()
    assert calls == []
    assert w.grad.flags.f_contiguous and w.grad.flags.writeable and w.grad.base is not None
    np.testing.assert_allclose(w.grad, np.full((2, 3), 4.0))
    # Views of one cotangent (add sends the same array to both inputs) are not handed
    # over: the two leaves would share a buffer.
    p = Tensor(np.ones((2, 3)), requires_grad=True)
    q = Tensor(np.ones((2, 3)), requires_grad=True)
    (p.T + q.T).sum().backward()
    p.grad *= 10
    assert q.grad.tolist() == [[1.0] * 3] * 2 and p.grad.tolist() == [[10.0] * 3] * 2


def test_no_vjp_is_computed_for_inputs_that_need_no_grad(monkeypatch):
    calls = []
    real = Matmul.vjp

    def spy(g, out, x, y, needs):
        calls.append(needs)
        dx, dy = real(g, out, x, y, needs=needs)
        assert dx is None  # the data batch never costs a matmul
        return dx, dy

    monkeypatch.setattr(Matmul, "vjp", staticmethod(spy))
    x = Tensor(np.ones((4, 3)))
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    (x @ w).sum().backward()
    assert calls == [(False, True)]


def test_backward_frees_saved_arrays_and_a_second_backward_names_retain_graph():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w.exp() * 2).sum()
    loss.backward()
    with pytest.raises(al.GraphFreedError, match="retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_identical_backward():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w.exp() * 2).sum()
    loss.backward(retain_graph=True)
    first = w.grad.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * first)


def test_graph_is_released_by_reference_counting():
    w = Tensor(np.ones(1000), requires_grad=True)
    h = w * 2
    ref = weakref.ref(h.node)
    loss = h.sum()
    del h
    gc.disable()
    try:
        loss.backward()
        del loss
        assert ref() is None  # no cycle keeps the graph alive
    finally:
        gc.enable()


def test_no_grad_records_nothing_and_works_as_decorator():
    w = Tensor([1.0], requires_grad=True)
    with al.no_grad():
        y = w * 2
        with al.enable_grad():
            z = w * 2
    assert not y.requires_grad and y.node is None and z.requires_grad

    @al.no_grad()
    def f(t):
        return t * 3

    assert not f(w).requires_grad and al.is_grad_enabled()


def test_set_grad_enabled_sets_the_mode_as_a_call_and_restores_it_as_a_block():
    w = Tensor([1.0], requires_grad=True)
    try:
        al.set_grad_enabled(False)  # PyTorch semantics: takes effect on the call
        assert not al.is_grad_enabled() and not (w * 2).requires_grad
        with al.set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not al.is_grad_enabled()  # the block restored the mode it replaced
        al.set_grad_enabled(True)
        assert al.is_grad_enabled()
        with al.set_grad_enabled(False):
            assert not (w * 2).requires_grad
        assert al.is_grad_enabled()

        @al.set_grad_enabled(False)  # a decorator: off inside the function only
        def f(t):
            return t * 2

        assert al.is_grad_enabled() and not f(w).requires_grad and al.is_grad_enabled()
    finally:
        al.set_grad_enabled(True)


def test_backward_with_explicit_gradient_for_any_shape():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    g = np.arange(6.0).reshape(2, 3)
    (w * 5).backward(g)
    np.testing.assert_allclose(w.grad, 5 * g)


def test_a_million_op_chain_backpropagates_without_recursion():
    x = Tensor(np.float32(1.0), requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_higher_order_gradients_through_grad_of_grad():
    f = lambda x: (x ** 3).sum()  # noqa: E731
    x = al.tensor([1.0, 2.0], dtype=np.float64)
    d2 = al.grad(lambda x: al.grad(f)(x).sum())(x)
    np.testing.assert_allclose(d2.data, 6 * x.data)
    d3 = al.grad(lambda x: al.grad(lambda y: al.grad(f)(y).sum())(x).sum())(x)
    np.testing.assert_allclose(d3.data, [6.0, 6.0])


def test_backward_create_graph_gives_differentiable_grads():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = (x.tanh() * x).sum()
    y.backward(create_graph=True)
    gx = x.grad
    assert isinstance(gx, Tensor) and gx.requires_grad
    x.grad = None
    gx.sum().backward()
    t = np.tanh(x.data)
    np.testing.assert_allclose(x.grad, 2 * (1 - t ** 2) - 2 * x.data * t * (1 - t ** 2))


def test_value_and_grad_with_several_arguments():
    f = lambda a, b: (a * b + a).sum()  # noqa: E731
    val, (ga, gb) = al.value_and_grad(f, argnums=(0, 1))(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert val.item() == 14.0
    np.testing.assert_allclose(ga.data, [4.0, 5.0])
    np.testing.assert_allclose(gb.data, [1.0, 2.0])
    with pytest.raises(TypeError, match="one-element Tensor"):
        al.grad(lambda a: a * 2)(np.ones(3))


def test_gradients_wrt_an_intermediate_tensor_leaves_grad_untouched():
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 3
    loss = (h * h).sum()
    (dh,) = al.gradients(loss, [h])
    np.testing.assert_allclose(dh, 2 * h.data)
    assert w.grad is None


def test_scope_tags_nodes():
    w = Tensor([1.0], requires_grad=True)
    owner = object()
    with al.scope(owner):
        y = w * 2
    z = y + 1
    assert y.node.scope == (owner,) and z.node.scope == ()


def test_enter_and_exit_scope_nest_like_the_context_manager():
    w = Tensor([1.0], requires_grad=True)
    outer, inner = object(), object()
    token = al.enter_scope(outer)
    try:
        with al.scope(inner):
            y = w * 2
        z = w * 3
    finally:
        al.exit_scope(token)
    assert y.node.scope == (outer, inner) and z.node.scope == (outer,)
    assert (w * 4).node.scope == ()


def test_arrays_an_op_saved_for_backward_are_used_then_freed():
    logits = Tensor(np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]), requires_grad=True)
    loss = al.cross_entropy(logits, np.array([2, 0]))
    node = loss.node
    p = np.exp(logits.data) / np.exp(logits.data).sum(1, keepdims=True)
    exps, sums, flat = node.saved  # kept from the forward, on the (C, N) transpose
    np.testing.assert_allclose((exps / sums).T, p)
    assert flat.tolist() == [4, 1]  # the labelled logits' flat indices: label * 2 + row
    loss.backward()
    assert node.saved is None and node.arrays is None
    np.testing.assert_allclose(logits.grad, (p - np.eye(3)[[2, 0]]) / 2)


def test_backward_uses_the_arrays_the_forward_computed_with():
    # Rebinding .data between forward and backward is not an in-place change of the
    # saved array: the gradient stays that of the function the forward computed.
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x = Tensor(np.array([4.0, 5.0, 6.0]), requires_grad=True)
    y = (w * x).sum()
    w.data, x.data = np.zeros(3), np.full(3, 7.0)
    y.backward()
    np.testing.assert_array_equal(w.grad, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    assert y.node.arrays is None  # freed with the rest of the saved state


def test_an_op_that_saves_arrays_still_differentiates_twice():
    # On the recorded path the VJP gets saved=None and must recompute.
    z = np.array([[0.3, -0.2, 1.0]])
    hvp = al.grad(lambda t: (al.grad(lambda u: al.cross_entropy(u, np.array([1])))(t) ** 2).sum())(z)
    p = np.exp(z) / np.exp(z).sum()
    d = p - np.eye(3)[1]
    jac = np.diag(p[0]) - np.outer(p[0], p[0])   # d softmax / dz
    np.testing.assert_allclose(hvp.data, 2 * d @ jac, rtol=1e-6)   # d is (1, 3): so is the answer


def test_apply_sets_every_slot_of_the_node_and_tensor_it_builds():
    # apply builds both field by field (no constructor): a slot added to either class
    # must be set there too, or reading it raises AttributeError somewhere later.
    x = Tensor(np.ones(3), requires_grad=True)
    for out in (x * 2.0, al.no_grad()(lambda: x * 2.0)()):
        for name in Tensor.__slots__:
            if name != "__weakref__":
                getattr(out, name)
    node = (x * 2.0).node
    for name in al.Node.__slots__:
        if name != "__weakref__":
            getattr(node, name)


def test_gradients_wrt_an_intermediate_and_what_it_came_from_counts_every_path():
    # torch.autograd.grad semantics: a target that is also upstream of another target
    # gets every path, including the ones through the other target.
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    dx, dh = al.gradients((h * x).sum(), [x, h])
    np.testing.assert_array_equal(dx, [6.0, 12.0])   # d(3x^2)/dx, not 3x (the direct path only)
    np.testing.assert_array_equal(dh, [1.0, 2.0])
    # A chain of three targets, each upstream of the next (values from torch.autograd.grad).
    h = x * 3
    k = h * 2
    dk, dh, dx = al.gradients((k * k).sum() + h.sum(), [k, h, x])
    np.testing.assert_array_equal(dk, [12.0, 24.0])
    np.testing.assert_array_equal(dh, [25.0, 49.0])
    np.testing.assert_array_equal(dx, [75.0, 147.0])
    assert x.grad is None


def test_gradients_visits_no_node_that_leads_to_no_target(monkeypatch):
    calls = []
    real = Matmul.vjp

    def spy(g, out, x, y, needs):
        calls.append(needs)
        return real(g, out, x, y, needs=needs)

    monkeypatch.setattr(Matmul, "vjp", staticmethod(spy))
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    h = x @ w
    (dh,) = al.gradients((h * h).sum(), [h])
    assert calls == [] and dh.shape == (4, 2)   # nothing past the only target
    al.gradients((h * h).sum(), [w])
    assert calls == [(False, True)]             # x leads to no target: its product is skipped


def test_toposort_orders_a_diamond_consumer_before_both_branches_and_the_shared_parent():
    # a -> (b, c) -> d, with b also feeding d directly: each node once, every consumer
    # before its parents, whatever order the DFS meets them in.
    x = Tensor(np.ones(2), requires_grad=True)
    a = x * 2
    b, c = a.exp(), a.sin()
    d = b * c + b
    order = al.toposort([d.node])
    names = [n.op.name for n in order]
    assert len(order) == len(set(order)) == 5   # multiply, exp, sin, multiply, add
    pos = {n: i for i, n in enumerate(order)}
    for n in order:
        for p in n.parents:
            if isinstance(p, al.Node):
                assert pos[n] < pos[p], (names, n, p)
    assert order[0] is d.node and order[-1] is a.node
    # Several roots sharing nodes: still each node once, consumers first.
    both = al.toposort([b.node, d.node, c.node])
    assert set(both) == set(order) and len(both) == 5
    assert all(both.index(n) < both.index(p) for n in both for p in n.parents
               if isinstance(p, al.Node))


def test_gradients_sums_the_paths_into_a_target_reached_twice():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    h = x.exp()
    out = (h * h + h).sum()          # h reaches the output through three uses
    (dh,) = al.gradients(out, [h])
    np.testing.assert_allclose(dh, 2 * h.data + 1, rtol=1e-15)
    # A leaf target reached twice, and the same target listed twice.
    y = x * x * 3 + x
    dx, dx2 = al.gradients(y.sum(), [x, x])
    np.testing.assert_allclose(dx, 6 * x.data + 1, rtol=1e-15)
    np.testing.assert_array_equal(dx, dx2)


# ---- arrays a live graph saved are read-only ------------------------------------------
# Plain NumPy writes bypass version counters, so the arrays of leaves and constants a
# recorded op saved are locked (writeable=False) while a node holds them, and restored
# when the graph frees them (backward without retain_graph) or is garbage-collected.

def test_a_captured_numpy_array_cannot_change_under_a_live_graph():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    c = np.array([4.0, 5.0, 6.0])
    y = x * c
    with pytest.raises(ValueError, match="read-only"):
        c[0] = 100.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 5.0, 6.0])   # the c the forward used
    c[0] = 100.0                                             # freed: the user's again
    assert c.flags.writeable and x.data.flags.writeable


def test_writing_a_leafs_data_between_forward_and_backward_is_refused():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(ValueError, match="read-only"):
        w.data -= 0.1 * np.ones(2)     # an SGD update placed before backward()
    assert w.data.tolist() == [1.0, -2.0]
    loss.backward()
    w.data -= 0.1 * w.grad             # after backward: allowed
    np.testing.assert_allclose(w.data, [0.8, -1.6])


def test_locks_restore_each_arrays_own_flag_views_and_bases_included():
    x = Tensor(np.ones(2), requires_grad=True)
    frozen = np.ones(2)
    frozen.flags.writeable = False
    base = np.ones((2, 2))
    view = base[0]                     # the op saves a view: its base is locked too
    y = x * frozen + x * view
    for a in (view, base):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 5.0
    late = base[1]                     # a view made while locked is read-only itself
    assert not late.flags.writeable
    y.sum().backward()
    assert view.flags.writeable and base.flags.writeable
    assert not frozen.flags.writeable  # the user's read-only array stays so
    view[0] = 5.0
    assert base[0, 0] == 5.0


def test_only_the_arrays_a_vjp_will_read_are_locked():
    # A first layer (input needs no gradient): the VJP reads x for the weight's gradient,
    # never the weight (only x's gradient would) nor the bias, so only x is locked, as
    # PyTorch saves only x there. Writing into the others changes no gradient.
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    grads = []
    for write in (False, True):
        xt, wt, bt = Tensor(x.copy()), Tensor(w.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True)
        out = al.linear(xt, wt, bt)
        assert not xt.data.flags.writeable
        assert wt.data.flags.writeable and bt.data.flags.writeable
        if write:
            wt.data[...] = 0.0
            bt.data[...] = 7.0
        out.backward(np.ones((4, 2)))
        grads.append((wt.grad, bt.grad))
    for before, after in zip(*grads):
        np.testing.assert_array_equal(before, after)
    # With x requiring grad the weight is read (for x's gradient), so it is locked.
    xt, wt = Tensor(x, requires_grad=True), Tensor(w)
    out = al.linear(xt, wt, Tensor(b))
    assert not wt.data.flags.writeable and xt.data.flags.writeable
    out.backward(np.ones((4, 2)))
    assert wt.data.flags.writeable


def test_an_input_that_an_output_views_stays_locked():
    # getitem's VJP reads only x's shape, but its output views x, and multiply reads that
    # output in backward: writing into x must still be refused.
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    h = w[0:2]
    loss = (h * h).sum()
    with pytest.raises(ValueError, match="read-only"):
        w.data[0] = 100.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0, 0.0])


def test_a_graph_dropped_without_backward_unlocks_by_reference_counting():
    x = Tensor(np.ones(3), requires_grad=True)
    c = np.arange(3.0)
    gc.disable()
    try:
        y = (x * c).exp()
        assert not c.flags.writeable
        del y
        assert c.flags.writeable and x.data.flags.writeable
    finally:
        gc.enable()


def test_an_array_two_live_graphs_saved_stays_locked_until_both_are_freed():
    x = Tensor(np.ones(3), requires_grad=True)
    c = np.arange(3.0)
    a, b = (x * c).sum(), (x * c * c).sum()
    a.backward()
    assert not c.flags.writeable       # b still needs it
    b.backward()
    assert c.flags.writeable


def test_retain_graph_keeps_the_lock_until_the_last_backward():
    x = Tensor(np.ones(2), requires_grad=True)
    c = np.array([2.0, 3.0])
    y = (x * c).sum()
    y.backward(retain_graph=True)
    with pytest.raises(ValueError, match="read-only"):
        c[0] = 0.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 6.0])
    c[0] = 0.0


def test_nothing_is_locked_when_nothing_is_recorded():
    x = Tensor(np.ones(2), requires_grad=True)
    c = np.ones(2)
    with al.no_grad():
        y = x * c
    z = Tensor(np.ones(2)) * c         # no input requires grad: no graph
    c[0] = 3.0
    x.data[0] = 3.0
    assert y.node is None and z.node is None


def test_create_graph_gradients_lock_and_unlock_too():
    # g = c exp(x c) keeps a graph that saved c (through exp's recomputed output).
    x = Tensor(np.array([0.5, 0.25]), requires_grad=True)
    c = np.array([3.0, 4.0])
    (g,) = al.gradients((x * c).exp().sum(), [x], create_graph=True)
    with pytest.raises(ValueError, match="read-only"):
        c[0] = 0.0
    (h,) = al.gradients(g.sum(), [x])
    np.testing.assert_allclose(h, c * c * np.exp(x.data * c), rtol=1e-15)
    del g
    c[0] = 0.0


def test_tensor_inplace_writes_go_through_the_lock_and_backward_names_op_and_line():
    # The Tensor API and al.modifying may change a locked array (PyTorch's semantics:
    # allowed, then a backward through the stale graph refuses), whichever Tensor holds
    # the array; the error names the op and the line of the write.
    x = Tensor(np.ones(2), requires_grad=True)
    c = np.array([2.0, 3.0])
    y = (x * c).sum()
    other = Tensor(c)                  # another Tensor on the same array
    with al.no_grad():
        other.add_(1.0)                # line of the write, named below
    assert c.tolist() == [3.0, 4.0] and not c.flags.writeable
    with pytest.raises(al.InplaceModificationError,
                       match=r"(?s)input 1 of 'multiply'.*modified in place.*other\.add_\(1\.0\)"):
        y.backward()
    w = Tensor(np.ones(2), requires_grad=True)
    loss = (w * w).sum()
    with al.modifying([w]):            # the line named: where the write was allowed
        w.data -= 0.5                  # plain NumPy, as optimisers write
    with pytest.raises(al.InplaceModificationError,
                       match=r"(?s)input 0 of 'multiply'.*modified at:.*with al\.modifying\(\[w\]\)"):
        loss.backward()
    del loss
    assert w.data.flags.writeable and w.data.tolist() == [0.5, 0.5]


def test_grad_of_an_array_leaves_the_callers_array_writable():
    # al.grad's result keeps a graph (for higher orders) that saved its argument: the
    # argument is a copy, so a descent loop on a plain array may update it in place.
    df = al.grad(lambda t: (t ** 3).sum())
    x = np.array([1.0, 2.0])
    for _ in range(2):
        g = df(x)
        x -= 0.01 * g.data
    np.testing.assert_allclose(g.data, 3 * (np.array([1.0, 2.0]) - 0.01 * np.array([3.0, 12.0])) ** 2)


def test_a_view_made_while_locked_is_written_through_its_base_lock():
    x = Tensor(np.ones(4), requires_grad=True)
    base = np.ones(4)
    y = (x * base).sum()
    part = Tensor(base[:2])            # read-only, as a view of a locked array is
    with al.no_grad():
        part += 1.0
    assert base.tolist() == [2.0, 2.0, 1.0, 1.0] and not part.data.flags.writeable
    with pytest.raises(al.InplaceModificationError, match=r"(?s)input 1 of 'multiply'.*part \+= 1\.0"):
        y.backward()


def test_a_copied_graph_holds_no_locks_and_never_releases_the_originals():
    import copy
    import pickle
    x = Tensor(np.ones(3), requires_grad=True)
    c = np.ones(3)
    y = (x * c).exp()
    for clone in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        assert clone.node.parents[0].held is None
        del clone
        assert not c.flags.writeable   # still the original graph's
    y.sum().backward()
    assert c.flags.writeable
