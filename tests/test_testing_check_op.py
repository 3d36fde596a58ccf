"""check_op on user-declared ops: overrides, settings, metadata errors, and the
failures it reports besides wrong VJPs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, settings

import autograd_lite as al
from autograd_lite.testing import GradcheckError, check_op, missing_metadata, temporary_registry
import test_ops_grad

SMALL = settings(max_examples=10)
# For tests that expect a failure: finding it is the point, not shrinking it.
SMALL_NO_SHRINK = settings(SMALL, phases=[Phase.explicit, Phase.generate])


@pytest.fixture(autouse=True)
def scratch():
    with temporary_registry():
        yield


def make_op(name="scaled_tanh", **attrs):
    """A correct elementwise op ``out = scale * tanh(x)``, with ``attrs`` overriding."""
    def forward(x, scale=1.0):
        return scale * np.tanh(x)

    def vjp(g, out, x, scale=1.0):
        return (g * scale * (1 - np.tanh(x) ** 2),)
    body = {"__doc__": "out = scale * tanh(x)\n\nVJP::\n\n    dx = g * scale * (1 - tanh(x)**2)",
            "name": name, "forward": staticmethod(forward), "vjp": staticmethod(vjp),
            "params": {"scale": (1.0, 2.5)}, **attrs}
    return type("ScaledTanh", (al.Op,), body)


def spy():
    """A reference that records every call it gets (and is right for make_op)."""
    calls = []

    def reference(x, scale=1.0):
        calls.append((x.copy(), scale))
        return scale * np.tanh(x)
    return reference, calls


def test_accepts_an_op_or_its_function():
    op = make_op()
    check_op(op, settings=SMALL)
    check_op(al.function(op), settings=SMALL)
    with pytest.raises(TypeError, match="expected an Op subclass"):
        check_op(np.tanh)


def test_domain_and_params_overrides_are_used():
    reference, calls = spy()
    check_op(make_op(), reference, domain="positive", params={"scale": (-3.0,)}, settings=SMALL)
    assert calls and all(np.all(x > 0) and s == -3.0 for x, s in calls)
    assert not all(np.all(x > 0) for x, _ in _calls_of(make_op("again")))  # default: real


def _calls_of(op):
    reference, calls = spy()
    check_op(op, reference, settings=SMALL)
    return calls


def test_max_examples_and_settings_profiles_are_respected():
    reference, calls = spy()
    check_op(make_op(), reference, max_examples=4)
    assert 0 < len(calls) <= 4
    reference, calls = spy()
    check_op(make_op("other"), reference, settings=settings(max_examples=7))
    assert 4 < len(calls) <= 7
    settings.register_profile("check_op_test_tiny", max_examples=2)
    previous = settings.default
    settings.load_profile("check_op_test_tiny")
    try:
        reference, calls = spy()
        check_op(make_op("third"), reference)
        assert 0 < len(calls) <= 2
    finally:
        settings.register_profile("check_op_test_previous", previous)
        settings.load_profile("check_op_test_previous")


def test_the_per_example_deadline_is_off():
    def forward(x, scale=1.0):
        time.sleep(0.002)
        return scale * np.tanh(x)
    check_op(make_op(forward=staticmethod(forward)), settings=settings(max_examples=3, deadline=1))


def test_a_wrong_forward_is_caught_by_the_reference():
    with pytest.raises(GradcheckError, match=r"forward differs from the reference at \d+ of"):
        check_op(make_op(), lambda x, scale=1.0: scale * np.tanh(x) * (1 + 1e-6),
                 settings=SMALL_NO_SHRINK)
    with pytest.raises(GradcheckError, match=r"forward has shape .*, the reference \(1,"):
        check_op(make_op("other"), lambda x, scale=1.0: np.ones(1), settings=SMALL_NO_SHRINK)


def test_second_order_follows_differentiable_twice():
    # Right first derivative, detached from the graph (np.asarray): no second one.
    def detached(g, out, x, scale=1.0):
        return (g * scale * (1 - np.tanh(np.asarray(x)) ** 2),)
    check_op(make_op(vjp=staticmethod(detached), differentiable_twice=False), settings=SMALL)
    with pytest.raises(GradcheckError, match="gradgradcheck failed"):
        check_op(make_op("again", vjp=staticmethod(detached), differentiable_twice=False),
                 second_order=True, settings=SMALL_NO_SHRINK)


def test_a_vjp_must_return_one_entry_per_input():
    bare = staticmethod(lambda g, out, x, scale=1.0: g * scale)  # an array, not a tuple
    with pytest.raises(GradcheckError, match=r"one entry per input \(1\), got (ndarray|float64)"):
        check_op(make_op(vjp=bare), settings=SMALL_NO_SHRINK)


def test_a_forward_that_rejects_a_drawn_call_is_reported():
    def forward(x, scale=1.0):
        if x.ndim > 1:
            raise ValueError("only vectors")
        return scale * np.tanh(x)
    with pytest.raises(GradcheckError, match="forward raised ValueError: only vectors"):
        check_op(make_op(forward=staticmethod(forward)), settings=SMALL_NO_SHRINK)


def test_missing_metadata_is_named_before_anything_runs():
    shape_op = make_op(kind="shape")
    problems = missing_metadata(shape_op)
    assert len(problems) == 1 and "declares no sample_inputs" in problems[0]
    with pytest.raises(ValueError, match="cannot check op 'scaled_tanh':\n- .*no sample_inputs"):
        check_op(shape_op)
    # The suite's coverage test fails for such an op.
    with pytest.raises(AssertionError):
        test_ops_grad.test_op_declares_what_the_checker_needs(shape_op)


@pytest.mark.parametrize("attrs, message", [
    ({"params": {"scael": (1.0,)}}, "params names 'scael', which is not a keyword"),
    ({"params": {"scale": ()}}, "must be a non-empty tuple"),
    ({"params": {"scale": 2.0}}, "must be a non-empty tuple"),
    ({"domain": ("smooth",)}, "declares none"),
    ({"domain": ("labels",)}, "needs a sample_inputs"),
    ({"kind": "reduction"}, "must take an 'axis' keyword"),
    ({"forward": staticmethod(lambda x, *, scale: scale * np.tanh(x)), "params": {}},
     "forward() requires ['scale']"),
])
def test_missing_metadata_names_each_problem(attrs, message):
    problems = missing_metadata(make_op(**attrs))
    assert any(message in p for p in problems), problems


def test_overrides_are_validated_too():
    op = make_op()
    problems = missing_metadata(op, domain=("real", "real"))
    assert any("2 domains given for 1 inputs" in p for p in problems)
    assert any("unknown domain 'reals'" in p for p in missing_metadata(op, domain="reals"))
    assert missing_metadata(op, params={"scale": (3.0,)}) == []


def test_a_sample_inputs_hook_lifts_the_kind_requirement():
    def sample_inputs(cls, draw):
        shape = draw.shape(max_dims=2)
        return [shape], draw.params()
    op = make_op(kind="custom", sample_inputs=classmethod(sample_inputs))
    assert missing_metadata(op) == []
    check_op(op, settings=SMALL)


def test_temporary_registry_restores_names_and_functions():
    with temporary_registry():
        op = make_op("temp_op")
        al.function(op)
        assert al.Op.registry["temp_op"] is op
    assert "temp_op" not in al.Op.registry
    assert "temp_op" not in al.OP_FUNCTIONS
    make_op("temp_op")  # the name is free again


def test_importing_the_toolkit_does_not_need_hypothesis():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import numpy as np, autograd_lite as al\n"
            "from autograd_lite.testing import gradcheck, check_op\n"
            "assert gradcheck(al.sin, np.linspace(-1, 1, 5))\n"
            "try:\n    check_op(al.Op.registry['sin'])\nexcept ImportError:\n    print('lazy')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "lazy"


FAILING_TESTS = '''
import numpy as np
from hypothesis import settings

import autograd_lite as al
from autograd_lite.testing import check_op, gradcheck

# The ci profile's settings, print_blob included: check_op must still not print a
# @reproduce_failure line, which would not work on this test.
CI = settings(max_examples=30, derandomize=True, print_blob=True, deadline=None)


class BadHypot(al.Op):
    """x"""
    name, arity, domain = "bad_hypot", 2, ("nonzero", "nonzero")

    @staticmethod
    def forward(x, y):
        return np.hypot(x, y)

    @staticmethod
    def vjp(g, out, x, y):
        return g * x / out, g * x / out


def test_check_op_fails():
    check_op(BadHypot, reference=np.hypot, settings=CI)


def test_gradcheck_fails():
    gradcheck(lambda t: t * t * t, np.array([1.0, 2.0]), atol=0.0, rtol=0.0)
'''


def test_failures_under_pytest_start_at_the_test_not_in_the_checker(tmp_path):
    """The checker's frames are hidden (``__tracebackhide__``): a failure shows the
    test's line and the report, not the checker's source."""
    (tmp_path / "test_failing.py").write_text(FAILING_TESTS)
    env = {**os.environ, "PYTHONPATH": str(Path(al.__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "test_failing.py"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 1 and "2 failed" in out, out
    for test, call in [("test_check_op_fails", "check_op(BadHypot, reference=np.hypot, settings=CI)"),
                       ("test_gradcheck_fails", "gradcheck(lambda t: t * t * t")]:
        section = out.split(f" {test} _", 1)[1].split("\n_", 1)[0].split("short test summary")[0]
        lines = [line for line in section.splitlines()[1:] if line.strip(" =")]
        # The test's own source, its failing line, then straight into the report.
        assert lines[0] == f"    def {test}():", section
        assert lines[1].startswith(f">       {call}"), section
        assert lines[2].startswith("E       autograd_lite.testing.numerical.GradcheckError: "), section
        assert lines[-1].startswith("test_failing.py:"), section
        assert "autograd_lite/testing" not in section and "__tracebackhide__" not in section, section
    # Hypothesis's own words for the shrunk call changed in 6.16x ("Failing test case").
    assert re.search(r"(Falsifying example|Failing test case): check_op_bad_hypot\(", out), out
    assert "reproduce_failure" not in out, out
