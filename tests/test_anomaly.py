"""Anomaly mode: the first NaN/Inf in the forward or backward pass raises, naming
the op, its input shapes and the line of user code that created it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import hooks
from autograd_lite.anomaly import Where

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's log(-1) etc.


def here() -> int:
    """Line number of the caller's next line."""
    return sys._getframe(1).f_lineno + 1


def test_forward_nan_names_op_shapes_and_line():
    x = al.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
    with pytest.raises(al.AnomalyError) as info:
        with al.detect_anomaly():
            line = here()
            al.log(x * 2)
    e = info.value
    assert (e.op, e.phase) == ("log", "forward")
    assert e.where.frames[0] == (__file__, line, "test_forward_nan_names_op_shapes_and_line")
    msg = str(e)
    assert "'log' produced NaN (1 NaN, 0 Inf of 3 values; shape (1, 3), float32)" in msg
    assert "inputs: (1, 3) float32" in msg
    assert f"{__file__}:{line} in test_forward_nan_names_op_shapes_and_line: al.log(x * 2)" in msg
    assert "already" not in msg
    assert hooks.forward_hooks() == () and hooks.backward_hooks() == ()  # removed despite the error


def test_forward_inf_in_binary_op_and_under_no_grad():
    a = al.tensor([1.0, 0.0])
    with al.detect_anomaly(), al.no_grad():  # not recorded, still checked
        with pytest.raises(al.AnomalyError, match=r"(?s)'divide' produced Inf .*inputs: \(\) float32, "
                                                  r"\(2,\) float32") as info:
            line = here()
            al.divide(1.0, a)
    assert info.value.where.frames[0][1] == line


def test_backward_nan_names_the_forward_line():
    x = al.tensor([0.0, 4.0], requires_grad=True)
    with al.detect_anomaly():
        line = here()
        y = al.sqrt(x) * 0.0  # forward finite; backward: 0 * (1 / (2 * sqrt(0))) = NaN
        loss = y.sum()
        with pytest.raises(al.AnomalyError) as info:
            loss.backward()
    e = info.value
    assert (e.op, e.phase) == ("sqrt", "backward")
    msg = str(e)
    assert "backward pass of 'sqrt' (output (2,) float32; inputs (2,) float32)" in msg
    assert "gradient for input 0 holds NaN (1 NaN, 0 Inf of 2 values" in msg
    assert f"{__file__}:{line} in test_backward_nan_names_the_forward_line: y = al.sqrt(x)" in msg
    assert x.grad is None  # raised before reaching the leaf


def test_backward_inf_in_a_broadcasting_op():
    w = al.tensor([[0.0], [1.0]], requires_grad=True)
    b = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with al.detect_anomaly():
        line = here()
        z = al.sqrt(w) + b
        with pytest.raises(al.AnomalyError, match=r"(?s)backward pass of 'sqrt' .*holds Inf") as info:
            z.sum().backward()
    assert info.value.where.frames[0][1] == line


def test_without_anomaly_mode_nan_passes_silently():
    x = al.tensor([0.0, 4.0], requires_grad=True)
    y = al.log(al.sqrt(x) * 0.0 - 1)
    y.sum().backward()
    assert np.isnan(y.data).all() and np.isnan(x.grad).any()
    assert y.node.where is None


def test_nan_already_in_the_data_is_reported_as_such():
    x = al.tensor([np.nan, 1.0], requires_grad=True)
    with al.detect_anomaly(), pytest.raises(al.AnomalyError, match="input 0 already contained NaN"):
        x * 2


def test_nan_seed_gradient_and_nodes_made_outside_anomaly_mode():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3  # recorded before anomaly mode: no line known
    with al.detect_anomaly():
        with pytest.raises(al.AnomalyError, match=r"(?s)incoming gradient already holds NaN.*passed to "
                                                  r"backward\(\)") as info:
            y.backward(np.array([np.nan, 1.0]))
    assert "created outside detect_anomaly()" in str(info.value) and info.value.where is None


def test_where_is_recorded_with_the_calling_frames_and_shown_in_drawings():
    class Layer:
        def __init__(self):
            self.w = al.tensor([[1.0, 2.0]], requires_grad=True)

        def __call__(self, x):
            with al.scope(self):
                self.line = here()
                return x @ self.w

    layer = Layer()
    with al.detect_anomaly(check_nan=False):
        outer = here()
        out = layer(al.tensor([[1.0], [2.0]]))
        nan = al.log(-out)  # not checked: check_nan=False
    assert np.isnan(nan.data).all()
    where = out.node.where
    assert isinstance(where, Where)
    assert [f[1] for f in where.frames[:2]] == [layer.line, outer]
    stack = where.format().splitlines()
    assert stack[-1].endswith("return x @ self.w") and "out = layer(" in stack[-2]  # outermost first
    g = al.viz.draw(out)
    assert g.node("matmul").tooltip == str(where) and str(where).endswith("return x @ self.w")


def test_nesting_decorator_and_hook_cleanup():
    x = al.tensor([-1.0])

    @al.detect_anomaly()
    def f(t):
        return al.sqrt(t)

    with pytest.raises(al.AnomalyError):
        f(x)
    assert hooks.forward_hooks() == () and hooks.backward_hooks() == ()
    with al.detect_anomaly():
        with al.detect_anomaly(check_nan=False):
            al.sqrt(x)  # the innermost setting wins
            assert len(hooks.forward_hooks()) == 1  # installed once
        with pytest.raises(al.AnomalyError):
            al.sqrt(x)
    assert hooks.forward_hooks() == () and hooks.backward_hooks() == ()


def test_op_made_by_library_code_only(monkeypatch):
    import autograd_lite.frames as frames
    monkeypatch.setattr(frames, "_SKIP_DIRS", ("/", "<"))  # every frame counts as a library
    with al.detect_anomaly(), pytest.raises(al.AnomalyError, match="library code only") as info:
        al.log(al.tensor([-1.0]))
    assert info.value.where.frames == () and str(info.value.where) == "<unknown>"


def test_a_failing_vjp_under_anomaly_mode_names_the_users_line():
    class FailingVjp(al.Op):
        """``out = x``.

        Notes
        -----
        VJP::

            dx = g
        """
        name = "test_failing_vjp_anomaly"

        @staticmethod
        def forward(x):
            return x.copy()

        @staticmethod
        def vjp(g, out, x):
            raise ArithmeticError("bad")

    try:
        with al.detect_anomaly():
            y = FailingVjp.apply(al.Tensor([1.0], requires_grad=True))  # the line to name
            with pytest.raises(RuntimeError, match=r"(?s)failed.*bad.*created at.*test_anomaly.py"):
                y.sum().backward()
    finally:
        del al.Op.registry["test_failing_vjp_anomaly"]
