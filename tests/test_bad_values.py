"""Issue #18, values, dtypes and arguments of the engine, and large graphs: bad input
gets a named error of its natural type; drawing a huge graph fails fast and says what
to do instead."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.viz import dot as viz_dot


# ---- 6. complex and object dtypes ---------------------------------------------------

@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, complex, object, "U3"])
def test_dtypes_without_derivatives_are_refused(dtype):
    with pytest.raises(TypeError, match=r"Tensor: unsupported dtype .*expected a float, int or bool"):
        al.Tensor([1, 2], dtype=dtype)
    with pytest.raises(TypeError, match="Tensor: unsupported dtype"):
        al.tensor([1.0, 2.0], requires_grad=True, dtype=dtype)


def test_a_dtype_that_is_not_one_and_data_that_does_not_fit_are_named():
    with pytest.raises(TypeError, match="Tensor: dtype='floaty' is not a NumPy dtype"):
        al.Tensor([1, 2], dtype="floaty")
    with pytest.raises(ValueError, match="Tensor: cannot make a float32 tensor from this list"):
        al.Tensor([1.5, [2.0]], dtype=np.float32)
    with pytest.raises(ValueError, match="Tensor: cannot make a tensor from this list"):
        al.Tensor([[1, 2], [3]])


def test_complex_data_is_not_cast_to_a_real_dtype():
    with pytest.raises(TypeError, match="Tensor: cannot make a float32 tensor from data of dtype complex128"):
        al.Tensor(np.array([1 + 2j]), dtype=np.float32)


def test_allowed_dtypes_still_work():
    assert al.Tensor([1, 2], dtype=np.int64).dtype == np.int64
    assert al.Tensor([1, 0], dtype=bool).dtype == np.bool_
    assert al.Tensor([1, 2], dtype="float64").dtype == np.float64


# ---- 7. NumPy's TypeError stays a TypeError ----------------------------------------

def test_numpy_type_errors_keep_their_type_and_name_the_op():
    with al.testing.temporary_registry():
        class Stringly(al.Op):
            """Adds a string inside its forward: NumPy raises a UFuncTypeError there."""
            name, arity = "stringly", 1
            forward = staticmethod(lambda x: np.add(x, np.array(["a"])))
            vjp = staticmethod(lambda g, out, x: (g,))

        with pytest.raises(TypeError, match=r"^stringly: ufunc 'add' did not contain a loop") as e:
            al.function(Stringly)(al.tensor([1.0]))
        assert type(e.value) is TypeError  # NumPy's own class needs arguments of its own
    t = al.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^add: input 1: Tensor: unsupported dtype <U1"):
        t + np.array(["a", "b"])
    with pytest.raises(TypeError, match="multiply: input 1: Tensor: cannot make a tensor from str"):
        al.multiply(t, "a")
    with pytest.raises(ValueError, match="add: input 1: .*inhomogeneous"):
        t + [[1.0], [2.0, 3.0]]


# ---- 8. backward's gradient, grad's argnums, cross_entropy's labels -------------------

def test_a_bad_gradient_names_backward_and_the_gradient():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(TypeError, match=r"backward: the gradient must hold real numbers; got dtype <U1"):
        y.backward(gradient=["a", "b"])
    with pytest.raises(TypeError, match="backward: the gradient must hold real numbers; got dtype complex128"):
        y.backward(gradient=np.array([1j, 2]))
    with pytest.raises(ValueError, match="backward: the gradient must be an array of numbers"):
        y.backward(gradient=[[1.0], [2.0, 3.0]])
    with pytest.raises(TypeError, match="gradients: the gradient must hold real numbers"):
        al.gradients(y, x, grad_outputs=np.array(["a", "b"]))
    with pytest.raises(ValueError, match="gradients: 2 grad_outputs for 1 outputs"):
        al.gradients(y, x, grad_outputs=["a", "b"])
    y.backward(gradient=[1, 1])  # integers are numbers
    assert np.array_equal(x.grad, [2.0, 2.0])


def test_grad_argnums_out_of_range_or_not_ints():
    f = al.grad(lambda x, y: (x * y).sum(), argnums=5)
    with pytest.raises(TypeError, match=r"grad: differentiating with respect to argnums=5 needs at "
                                        r"least 6 positional arguments, but <lambda> was called with 2"):
        f(al.tensor([1.0]), al.tensor([2.0]))
    with pytest.raises(TypeError, match=r"argnums=\(0, -3\) needs at least 3"):
        al.grad(lambda x, y: (x * y).sum(), argnums=(0, -3))(al.tensor([1.0]), al.tensor([2.0]))
    for bad in ("0", (0, 1.5), (), None, [True]):
        with pytest.raises(TypeError, match="grad: argnums must be an int or a non-empty sequence of ints"):
            al.grad(lambda x: x.sum(), argnums=bad)
    g = al.grad(lambda x, y: (x * y).sum(), argnums=-1)(al.tensor([3.0]), al.tensor([2.0]))
    assert np.array_equal(g.data, [3.0])


def test_cross_entropy_takes_integer_label_lists():
    z = al.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    loss = al.cross_entropy(z, [0, 1, 2, 2])
    assert loss.item() == pytest.approx(al.cross_entropy(z, np.array([0, 1, 2, 2])).item())
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\) .*got values in \[0, 3\]") as e:
        al.cross_entropy(z, [0, 1, 2, 3])
    assert "float32" not in str(e.value)
    with pytest.raises(ValueError, match="labels must be integers .*dtype float64"):
        al.cross_entropy(z, [0.5, 1, 2, 2])
    # A where() condition given as a list stays boolean too.
    assert np.array_equal(al.where([True, False], al.tensor([1.0, 2.0]), 0.0).data, [1.0, 0.0])


# ---- 11. huge graphs and a dot that does not finish --------------------------------

def _chain(n: int) -> al.Tensor:
    y = al.tensor([1.0], requires_grad=True)
    for _ in range(n):
        y = y * 1.0
    return y


def test_a_graph_over_max_nodes_is_refused_before_dot_runs(tmp_path, monkeypatch):
    def no_dot(*args, **kwargs):
        raise AssertionError("dot must not run")

    monkeypatch.setattr(subprocess, "run", no_dot)
    big = _chain(viz_dot.MAX_NODES)  # with its leaf: one node too many
    with pytest.raises(ValueError, match=r"render: the graph has 5,001 nodes, more than "
                                         r"max_nodes=5,000") as e:
        al.viz.render(big, tmp_path / "g.svg")
    assert "collapse=0" in str(e.value) and "format='dot'" in str(e.value)
    assert "max_nodes=None" in str(e.value)
    with pytest.raises(ValueError, match="more than max_nodes=3"):
        al.viz.draw(_chain(5)).pipe("svg", max_nodes=3)
    assert list(tmp_path.iterdir()) == []
    # The DOT source has no size limit.
    assert al.viz.render(big, tmp_path / "g.dot").read_text().count("multiply") == 5000


@pytest.mark.skipif(os.name != "posix", reason="a shell-script dot")
def test_a_dot_that_does_not_finish_is_stopped(tmp_path, monkeypatch):
    slow = tmp_path / "dot"
    slow.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 60\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TimeoutError, match=r"render: Graphviz's dot did not finish laying out 3 "
                                           r"nodes within timeout=0.3 s and was stopped") as e:
        al.viz.render(_chain(2), tmp_path / "g.svg", timeout=0.3)
    assert "collapse=0" in str(e.value) and "format='dot'" in str(e.value)
    assert not (tmp_path / "g.svg").exists()
    failing = tmp_path / "dot"
    failing.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 3\n")
    with pytest.raises(RuntimeError, match=r"dot failed \(exit status 3\): syntax error in line 1"):
        al.viz.draw(_chain(2)).pipe("png")


def test_render_still_draws_through_dot(tmp_path):
    if not viz_dot.shutil.which("dot"):
        pytest.skip("needs Graphviz's dot")
    out = al.viz.render(_chain(3), tmp_path / "g.svg")
    assert b"<svg" in out.read_bytes()
