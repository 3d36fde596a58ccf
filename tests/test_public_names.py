"""Every public name autograd_lite had before the restructuring (issue 17) still works.

The lists were read off the code before the move, and are written out here so that a
name that disappears fails a test instead of a user's program.
"""

from __future__ import annotations

import pytest

import autograd_lite as al
import autograd_lite.testing

BEFORE_ALL = [
    'AnomalyError', 'GraphFreedError', 'InplaceModificationError', 'Node', 'Op', 'Tensor', 'abs',
    'absolute', 'add', 'amax', 'amin', 'astype', 'broadcast_to', 'clip', 'concatenate', 'cos',
    'cross_entropy', 'detect_anomaly', 'divide', 'elu', 'enable_grad', 'enter_scope', 'erf',
    'exit_scope', 'exp', 'expand_dims', 'flatten', 'function', 'gelu', 'get_default_dtype',
    'getitem', 'grad', 'gradients', 'increment_version', 'is_grad_enabled', 'leaky_relu', 'linear',
    'log', 'log_softmax', 'logsumexp', 'matmul', 'max', 'maximum', 'mean', 'min', 'minimum',
    'multiply', 'negative', 'no_grad', 'ones', 'ones_like', 'ops', 'pad', 'positive', 'power',
    'ravel', 'relu', 'reshape', 'scatter_add', 'scope', 'set_default_dtype', 'set_flush_denormal',
    'set_grad_enabled', 'sigmoid', 'sin', 'softmax', 'softplus', 'split', 'sqrt', 'squeeze',
    'stack', 'std', 'subtract', 'sum', 'swapaxes', 'tanh', 'tensor', 'testing', 'transpose',
    'unbroadcast', 'value_and_grad', 'var', 'viz', 'where', 'zeros', 'zeros_like']
BEFORE_TESTING = ['GradcheckError', 'GradcheckWarning', 'check_op', 'gradcheck', 'gradgradcheck',
                  'missing_metadata', 'strategies', 'temporary_registry']
BEFORE_TENSOR = [
    'T', 'abs', 'add_', 'astype', 'backward', 'clip', 'copy_', 'cos', 'data', 'detach', 'dtype',
    'elu', 'exp', 'fill_', 'flatten', 'gelu', 'grad', 'is_leaf', 'item', 'leaky_relu', 'log',
    'log_softmax', 'logsumexp', 'mT', 'matmul', 'max', 'mean', 'min', 'mul_', 'ndim', 'node',
    'numpy', 'op', 'ravel', 'relu', 'requires_grad', 'requires_grad_', 'reshape', 'shape',
    'sigmoid', 'sin', 'size', 'softmax', 'softplus', 'sqrt', 'squeeze', 'std', 'sub_', 'sum',
    'swapaxes', 'tanh', 'tolist', 'transpose', 'var', 'zero_', 'zero_grad']
BEFORE_OP = ['apply', 'arity', 'differentiable_twice', 'dispatch', 'domain', 'forward_saving',
             'kind', 'kinks', 'nondiff', 'params', 'registry', 'sample_inputs']


@pytest.mark.parametrize("name", BEFORE_ALL)
def test_every_name_autograd_lite_exported_is_still_exported(name):
    assert name in al.__all__
    assert getattr(al, name) is not None


@pytest.mark.parametrize("name", BEFORE_TESTING)
def test_every_testing_name_is_still_exported(name):
    assert name in autograd_lite.testing.__all__
    assert getattr(autograd_lite.testing, name) is not None


@pytest.mark.parametrize("owner, names", [(al.Tensor, BEFORE_TENSOR), (al.Op, BEFORE_OP)],
                         ids=["Tensor", "Op"])
def test_tensor_and_op_keep_their_public_members(owner, names):
    assert [n for n in names if not hasattr(owner, n)] == []


def test_the_new_rooms_are_public():
    """What the restructuring added to the public API."""
    for name in ("hooks", "toposort", "current_scope"):
        assert name in al.__all__
    assert callable(al.hooks.register_forward_hook) and callable(al.hooks.register_backward_hook)
