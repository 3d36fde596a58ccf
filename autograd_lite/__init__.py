"""autograd_lite: a small, fast, honest reverse-mode autodiff engine on NumPy.

>>> import numpy as np
>>> import autograd_lite as al
>>> w = al.tensor([1.0, -2.0], requires_grad=True)
>>> loss = (w * w).sum()
>>> loss.backward()
>>> w.grad
array([ 2., -4.], dtype=float32)
"""

from __future__ import annotations

from . import ops
from .broadcasting import unbroadcast
from .graph import (GraphFreedError, InplaceModificationError, Node, current_scope, enable_grad,
                    enter_scope, exit_scope, increment_version, is_grad_enabled, no_grad, scope,
                    set_grad_enabled, toposort)
from . import hooks  # register_forward_hook, register_backward_hook
from .locks import modifying
from .fpenv import set_flush_denormal
from .transforms import (elementwise_grad, grad, gradients, hessian, hvp, jacobian, value_and_grad,
                         vjp)
from .forward import jvp
from . import pytree
from .numpy_api import (OP_FUNCTIONS, flatten, function, ones, ones_like, split, tensor, zeros,
                        zeros_like)
from .ops.base import Op, OpRedefinedWarning
from .tensor import Tensor, get_default_dtype, set_default_dtype
from . import testing  # gradcheck, check_op, ...; imports hypothesis only when used
from . import viz  # graph drawing; imports graphviz only when DOT is built
from .anomaly import AnomalyError, detect_anomaly, register_library

# One NumPy-named function per registered op: al.exp, al.sum, al.matmul, ...
globals().update(OP_FUNCTIONS)
absolute = OP_FUNCTIONS["abs"]
amax, amax.__doc__ = OP_FUNCTIONS["max"], OP_FUNCTIONS["max"].__doc__
amin = OP_FUNCTIONS["min"]
ravel = flatten
# Functions over the op functions of the same name: NumPy's signatures (einsum's
# subscripts first, slogdet's pair) and the checkpoint transform.
from .tensor import SlogdetResult, einsum, slogdet  # noqa: E402
from .checkpointing import checkpoint  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    "Tensor", "Op", "OpRedefinedWarning", "Node", "tensor", "zeros", "ones", "zeros_like", "ones_like",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "scope",
    "enter_scope", "exit_scope", "current_scope", "increment_version", "toposort", "hooks",
    "modifying",
    "grad", "value_and_grad", "gradients", "vjp", "jvp", "jacobian", "hessian", "hvp",
    "elementwise_grad", "checkpoint", "pytree", "function", "unbroadcast",
    "set_default_dtype", "get_default_dtype", "set_flush_denormal",
    "GraphFreedError", "InplaceModificationError",
    "flatten", "ravel", "split", "absolute", "amax", "amin", "viz", "detect_anomaly", "AnomalyError",
    "register_library",
    "testing", "ops", "SlogdetResult", *sorted(OP_FUNCTIONS),
]
