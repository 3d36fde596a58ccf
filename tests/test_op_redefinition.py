"""Defining an op class again (a re-run notebook cell, a reloaded module) replaces it,
with an OpRedefinedWarning; two different classes claiming one name still clash.

A notebook cell runs as ``exec(code, user_namespace)`` with ``__name__ == "__main__"``,
which is what ``_cell`` does here."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import numpy_api
from autograd_lite.testing import check_op, temporary_registry

CELL = '''
import numpy as np
import autograd_lite as al

class Softsign(al.Op):
    """``out = x / (1 + |x|) * SCALE``.

    Notes
    -----
    VJP::

        dx = g * SCALE / (1 + |x|)**2
    """
    name = "test_softsign"
    domain, kinks = ("smooth",), (0.0,)   # |x|: the second derivative jumps at 0

    @staticmethod
    def forward(x):
        return x / (1 + np.abs(x)) * SCALE

    @staticmethod
    def vjp(g, out, x):
        return (g * SCALE / (1 + np.abs(x)) ** 2,)

softsign = al.function(Softsign)
'''


def _cell(ns: dict, scale: float, code: str = CELL) -> dict:
    ns["SCALE"] = scale
    exec(compile(code, "<notebook cell>", "exec"), ns)
    return ns


def test_running_a_cell_again_replaces_the_op_with_a_warning():
    with temporary_registry():
        ns = _cell({"__name__": "__main__"}, 1.0)
        first, f = ns["Softsign"], ns["softsign"]
        with pytest.warns(al.OpRedefinedWarning, match=r"op 'test_softsign' redefined: this "
                          r"__main__\.Softsign replaces the one defined before") as caught:
            _cell(ns, 2.0)
        assert len(caught) == 1 and caught[0].filename == "<notebook cell>"  # the class statement
        second = ns["Softsign"]
        assert second is not first and al.Op.registry["test_softsign"] is second
        # Every way to reach the op now reaches the new class: the function the cell
        # made again, the one made before (held by other code), the table behind both.
        assert ns["softsign"] is f and f.op is second
        assert al.OP_FUNCTIONS["test_softsign"] is f
        x = al.tensor([1.0, -3.0], requires_grad=True)
        y = f(x)
        assert y.node.op is second
        np.testing.assert_allclose(y.data, [1.0, -1.5])  # 2 * x / (1 + |x|)
        y.sum().backward()
        np.testing.assert_allclose(x.grad, [0.5, 0.125])
        check_op(f, reference=lambda x: 2.0 * x / (1 + np.abs(x)), max_examples=5)


def test_a_different_class_with_a_registered_name_still_raises():
    with temporary_registry():
        ns = _cell({"__name__": "__main__"}, 1.0)
        other_module = {"__name__": "my_ops"}
        with pytest.raises(ValueError, match=r"an op named 'test_softsign' is already registered "
                           r"\(__main__\.Softsign\); my_ops\.Softsign needs another name"):
            _cell(other_module, 1.0)
        renamed = CELL.replace("class Softsign(", "class SoftSign2(").replace(
            "Softsign.", "SoftSign2.").replace("al.function(Softsign)", "al.function(SoftSign2)")
        with pytest.raises(ValueError, match=r"\(__main__\.Softsign\); __main__\.SoftSign2 needs"):
            _cell(ns, 1.0, renamed)
        assert al.Op.registry["test_softsign"] is ns["Softsign"]
        assert al.OP_FUNCTIONS["test_softsign"].op is ns["Softsign"]


def test_a_builtin_op_cannot_be_replaced_from_user_code():
    with pytest.raises(ValueError, match=r"an op named 'exp' is already registered "
                       r"\(autograd_lite\.ops\.elementwise\.Exp\); __main__\.Exp needs another name"):
        _cell({"__name__": "__main__"}, 1.0,
              CELL.replace("Softsign", "Exp").replace('"test_softsign"', '"exp"'))
    assert al.exp.op is al.Op.registry["exp"] and al.exp.op.__module__ == "autograd_lite.ops.elementwise"


def test_a_redefinition_that_fails_validation_leaves_the_old_op():
    with temporary_registry():
        ns = _cell({"__name__": "__main__"}, 1.0)
        first = ns["Softsign"]
        broken = CELL.replace("def vjp(g, out, x):", "def vjp(g, out, x, saved=None):")
        with warnings.catch_warnings():
            warnings.simplefilter("error", al.OpRedefinedWarning)  # none may be issued
            with pytest.raises(TypeError, match="forward_saving"):
                _cell(ns, 2.0, broken)
        assert al.Op.registry["test_softsign"] is first and ns["softsign"].op is first


def test_the_function_of_a_replaced_class_does_not_displace_the_new_one():
    with temporary_registry():
        ns = _cell({"__name__": "__main__"}, 1.0)
        first = ns["Softsign"]
        with pytest.warns(al.OpRedefinedWarning):
            _cell(ns, 2.0)
        old_fn = al.function(first)  # someone still holds the old class
        assert old_fn.op is first and old_fn is not ns["softsign"]
        assert al.OP_FUNCTIONS["test_softsign"].op is ns["Softsign"]


def test_temporary_registry_undoes_a_redefinition_made_inside():
    outer = _cell({"__name__": "__main__"}, 1.0)
    try:
        first, f = outer["Softsign"], outer["softsign"]
        with temporary_registry():
            with pytest.warns(al.OpRedefinedWarning):
                inner = _cell(dict(outer), 2.0)  # the same __main__, its own SCALE
            assert f.op is inner["Softsign"] is not first
            np.testing.assert_allclose(f(al.tensor([1.0])).data, [1.0])
        assert al.Op.registry["test_softsign"] is first and f.op is first
        np.testing.assert_allclose(f(al.tensor([1.0])).data, [0.5])
    finally:
        del al.Op.registry["test_softsign"]
        del al.OP_FUNCTIONS["test_softsign"]


def test_a_function_that_is_not_a_partial_is_replaced_in_the_table(monkeypatch):
    """An op's function may be a plain function (an op with its own ``bind``): it
    cannot be re-pointed, so the table gets the new class's function."""
    real = numpy_api._function_for

    def plain_function_for(op):
        partial = real(op)

        def fn(*args, **kwargs):
            return partial(*args, **kwargs)
        fn.op = op
        return fn
    monkeypatch.setattr(numpy_api, "_function_for", plain_function_for)
    with temporary_registry():
        ns = _cell({"__name__": "__main__"}, 1.0)
        f = ns["softsign"]
        with pytest.warns(al.OpRedefinedWarning):
            _cell(ns, 2.0)
        assert f.op is not ns["Softsign"]  # unchanged: it is the old class's
        assert al.OP_FUNCTIONS["test_softsign"].op is ns["Softsign"] and ns["softsign"].op is ns["Softsign"]
        np.testing.assert_allclose(ns["softsign"](al.tensor([1.0])).data, [1.0])
