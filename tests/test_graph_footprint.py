"""What a recorded graph keeps alive: few GC-tracked objects per op, no intermediate Tensor
nobody holds; and the checks that used to read those Tensors still hold."""

import gc
import weakref

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor


def tracked_objects_per_op(n: int) -> float:
    x = Tensor(np.ones(16, np.float32), requires_grad=True)
    gc.collect()
    before = len(gc.get_objects())
    y = x
    for _ in range(n // 2):
        y = y * 1.0001 + 0.0001
    gc.collect()  # a collection untracks tuples that hold only arrays and ints
    per_op = (len(gc.get_objects()) - before) / n
    y.backward(np.ones(16, np.float32))
    return per_op


def test_a_chain_keeps_two_gc_tracked_objects_per_op():
    # The node and its parents tuple; the intermediate Tensors and their input tuples die.
    assert tracked_objects_per_op(2000) <= 2.01


def test_an_intermediate_nobody_holds_is_freed_while_its_graph_lives():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    h = x * 2.0
    ref = weakref.ref(h)
    y = h.exp().sum()
    del h
    assert ref() is None
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(2 * x.data))


@pytest.mark.parametrize("change", [
    lambda h: h.__iadd__(1.0),
    lambda h: al.increment_version(h),
    lambda h: al.increment_version([h]),
])
def test_an_intermediate_changed_in_place_after_it_was_saved_is_refused(change):
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    h = x * 2.0
    y = (h * h).sum()
    with al.no_grad():
        change(h)
    with pytest.raises(al.InplaceModificationError,
                       match=r"input 0 of 'multiply' \(shape \(2,\), dtype float64\)"):
        y.backward()


def test_an_intermediate_changed_before_its_use_is_fine():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    h = x * 2.0
    with al.no_grad():
        h += 1.0
    (h * h).sum().backward()   # the multiply saved h after the change
    np.testing.assert_allclose(x.grad, 2 * (2 * x.data + 1) * 2)


def test_second_derivatives_through_intermediates_nobody_holds():
    x = Tensor(np.array([0.3, -0.7]), requires_grad=True)
    y = ((x * x) * 0.5).exp().sum()   # d/dx = x e^(x^2/2); d2/dx2 = (1 + x^2) e^(x^2/2)
    (g,) = al.gradients([y], [x], create_graph=True)
    np.testing.assert_allclose(g.data, x.data * np.exp(x.data ** 2 / 2))
    g.sum().backward()
    np.testing.assert_allclose(x.grad, (1 + x.data ** 2) * np.exp(x.data ** 2 / 2))


def test_a_node_reading_an_output_freed_by_an_earlier_backward_is_refused():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x.exp()
    a, b = (h * 2.0).sum(), (h * 3.0).sum()
    assert b.node.parents[0].arrays is b.node.parents[0].parents  # read from h's node
    a.backward()  # frees h's node
    with pytest.raises(al.GraphFreedError, match="saved arrays were freed"):
        b.backward()


@pytest.mark.parametrize("rebind_first", [False, True])
def test_a_rebound_intermediate_does_not_change_what_backward_reads(rebind_first):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2.0
    if rebind_first:  # the product reads the new array: kept in the node's own tuple
        h.data = np.array([5.0, 7.0])
    y = (h * h).sum()
    used = h.data.copy()
    h.data = np.zeros(2)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * used * 2)
