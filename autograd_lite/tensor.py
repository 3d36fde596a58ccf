"""``Tensor``, an ndarray that remembers the op that made it, and :func:`apply`, which
runs an op on Tensors and records it.

The two live in one module on purpose: every Tensor method calls ``apply`` and
``apply`` builds Tensors, so as two modules they would import each other. What
``apply`` records into (Node, grad modes, scopes, the in-place clock) is in
``graph.py``; the backward walk is in ``backward.py``; neither imports this module.
Code below this module (the ops' ``dispatch``, backward's create_graph recompute)
records an op on Tensors through :meth:`Op.apply`, which asks a Tensor input to
record it (``Tensor._record``).
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

import weakref

from . import backward as _backward
from . import hooks as _hooks
from . import graph, locks
from .locks import _SHARED, _hold
from .graph import Node
from .ops import activations, arith, contract, elementwise, linalg, matrix, nnops, reduce
from .ops.base import Op
from .ops import shape as shape_ops
from .ops import index as index_ops
from .ops.base import DtypeConstants

_default_dtype: np.dtype = np.dtype(np.float32)

ArrayLike = Any


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype that Python scalars, lists and integer arrays become.

    ``float32`` unless changed; ``float64`` is the usual choice for gradient checks.
    """
    global _default_dtype
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"set_default_dtype: {dtype!r} is not a NumPy dtype") from None
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dt}")
    _default_dtype = dt


def get_default_dtype() -> np.dtype:
    """The float dtype that Python scalars, lists and integer arrays become."""
    return _default_dtype


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return _to_dtype(data, dtype)
    if isinstance(data, np.ndarray):
        if data.dtype.kind == "f":
            return data
        if data.dtype.kind in "iub":
            return data.astype(_default_dtype)
        raise TypeError(f"Tensor: unsupported dtype {data.dtype}; expected a float, int or bool array")
    try:
        arr = np.asarray(data)
    except ValueError as e:  # e.g. ragged nested lists
        raise ValueError(f"Tensor: cannot make a tensor from this {type(data).__name__}: {e}") from None
    if arr.dtype.kind == "f" and isinstance(data, np.generic):
        return arr  # a NumPy float scalar keeps its precision, like an array
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} "
                        f"(dtype {arr.dtype}); expected numbers, lists of numbers or an ndarray")
    return arr.astype(_default_dtype)


def _to_dtype(data: Any, dtype: Any) -> np.ndarray:
    """``data`` as an array of the float, int or bool ``dtype``; a complex or object
    dtype is refused, as the same data without ``dtype=`` is (backward would drop the
    imaginary part, and objects have no derivatives)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Tensor: dtype={dtype!r} is not a NumPy dtype") from None
    if dt.kind not in "fiub":
        raise TypeError(f"Tensor: unsupported dtype {dt}; expected a float, int or bool dtype")
    src = getattr(data, "dtype", None)
    if isinstance(src, np.dtype) and src.kind not in "fiub":  # complex would lose its imaginary part
        raise TypeError(f"Tensor: cannot make a {dt} tensor from data of dtype {src}")
    try:
        return np.asarray(data, dtype=dt)
    except (TypeError, ValueError) as e:
        raise type(e)(f"Tensor: cannot make a {dt} tensor from this {type(data).__name__}: "
                      f"{e}") from None


def as_tensor(value: Any, like: np.dtype | None = None) -> Tensor:
    """An op operand as a Tensor that requires no grad.

    Python scalars are weak, as in NumPy: they take the dtype of the op's floating
    tensor operand (``like``), so ``2 * t`` keeps ``t`` in float32. Arrays and NumPy
    scalars keep their dtype, so mixed-precision promotion follows NumPy.
    """
    cls = type(value)
    if cls is float or cls is int or cls is bool:
        return _scalar(value, like or _default_dtype)
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"Tensor: unsupported dtype {arr.dtype}; expected a float, int or "
                            f"bool array")
        return Tensor._make(arr, None)
    if isinstance(value, (list, tuple)) and _holds_tensor(value):
        return _stack(value, like or _first_float_dtype(value))
    return Tensor(value)


def _holds_tensor(seq: list | tuple) -> bool:
    return any(isinstance(v, Tensor) or isinstance(v, (list, tuple)) and _holds_tensor(v)
               for v in seq)


def _first_float_dtype(seq: list | tuple) -> np.dtype | None:
    for v in seq:
        dt = _first_float_dtype(v) if isinstance(v, (list, tuple)) else \
            v.dtype if isinstance(v, Tensor) and v.dtype.kind == "f" else None
        if dt is not None:
            return dt
    return None


def _stack(seq: list | tuple, like: np.dtype | None) -> Tensor:
    """A (nested) list holding Tensors, as the array NumPy would make of it but recorded,
    a stack of stacks: converted through ``__array__`` instead, the Tensors would be
    silently cut from the graph (``al.mean([x, x + 2])`` had gradient 0)."""
    parts = [as_tensor(v, like) for v in seq]
    if len({p.shape for p in parts}) > 1:
        shapes = ", ".join(str(p.shape) for p in parts)
        raise ValueError(f"a list holding Tensors is recorded as their stack, but its entries "
                         f"have shapes {shapes}; they must be equal")
    return apply(shape_ops.Stack, parts)


class Tensor:
    """An n-dimensional array that records the ops applied to it.

    Parameters
    ----------
    data
        An ndarray, a nested list, a Python or NumPy scalar, or another Tensor
        (whose data is shared, not its graph). Floating arrays keep their dtype;
        Python scalars, lists and integer or bool arrays become the default float
        dtype (:func:`get_default_dtype`) unless ``dtype`` is given.
    requires_grad
        Whether backward should compute a gradient for this tensor. Only floating
        tensors can require grad.
    dtype
        Force a dtype (e.g. ``np.int64`` for class labels).

    Notes
    -----
    A Python number in an operator (``t * 0.5``) is a weak scalar: it takes ``t``'s
    float dtype. It becomes a read-only 0-d constant tensor, shared by every op that
    uses the same value and dtype, and appears as such in ``node.parents``.

    While a recorded op's node lives, the arrays of the leaves and constants it saved
    (``data`` shared with your ndarray, too) are read-only, so plain NumPy cannot
    change them under the graph: NumPy raises ``ValueError: assignment destination is
    read-only``. Backward (without ``retain_graph``) and dropping the graph restore
    them. The in-place methods below and :class:`~autograd_lite.modifying` may write
    them; a backward through the stale graph then raises.
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "_version", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor

    def __init__(self, data: ArrayLike, requires_grad: bool = False, dtype: Any = None) -> None:
        if type(data) is np.ndarray and dtype is None and data.dtype.kind == "f":
            arr = data  # a training batch, every step: kept as it is, as _to_array would
        else:
            arr = _to_array(data, dtype)
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require grad; got dtype "
                            f"{arr.dtype}. Pass float data or dtype=np.float32.")
        self.data: np.ndarray = arr
        self.grad: Any = None
        self.requires_grad: bool = bool(requires_grad)
        self._node: Node | None = None
        self._version = 0

    @classmethod
    def _make(cls, data: np.ndarray, node: Node | None) -> Tensor:
        # A Tensor without __init__'s checks. apply builds its outputs the same
        # way inline (one frame less per op): a new slot must be set there too.
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = node is not None
        t._node = node
        t._version = 0
        return t

    # ---- array attributes -------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed), like ``ndarray.T``."""
        return apply(shape_ops.Transpose, self)

    @property
    def mT(self) -> Tensor:
        """Swap the last two axes (a batch of matrices transposed)."""
        return apply(shape_ops.Swapaxes, self, axis1=-1, axis2=-2)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op."""
        return self._node is None

    @property
    def op(self) -> str | None:
        """Name of the op that produced this tensor, or None for a leaf."""
        return None if self._node is None else self._node.op.name

    @property
    def node(self) -> Node | None:
        """The graph node that produced this tensor (None for a leaf)."""
        return self._node

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
                             f"scalar; this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A tensor sharing this data but cut from the graph."""
        return Tensor._make(self.data, None)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place; returns self."""
        if self._node is not None and not requires_grad:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad on a non-leaf "
                               "tensor; use .detach()")
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating-point tensors can require grad; "
                            f"got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=64)
        extra = f", dtype={self.dtype}"
        if self._node is not None:
            extra += f", op={self._node.op.name}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.data)

    __hash__ = object.__hash__  # == is elementwise, identity stays hashable

    # ---- backward -----------------------------------------------------------
    def backward(self, gradient: ArrayLike | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is the cotangent: required unless this tensor has one element.
        The graph's saved arrays are freed afterwards unless ``retain_graph`` (which
        defaults to ``create_graph``). With ``create_graph=True`` the gradients are
        Tensors recorded in a graph of their own, so they can be differentiated again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph; set "
                "requires_grad=True on the leaves you want gradients for (and make sure the "
                "forward pass did not run under no_grad)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: a gradient can be created implicitly only for a one-element "
                    f"output, but this tensor has shape {self.shape}; pass the cotangent, "
                    f"e.g. t.backward(np.ones({self.shape}))")
            g: Any = _SEED[self.data.dtype] if self.data.ndim == 0 else np.ones(self.shape, self.dtype)
        else:
            garr = gradient.data if isinstance(gradient, Tensor) else _gradient_array(gradient)
            if garr.shape != self.shape:
                raise ValueError(f"backward: the gradient has shape {garr.shape} but the tensor "
                                 f"has shape {self.shape}; they must be equal")
            if create_graph and isinstance(gradient, Tensor):
                g = gradient
            else:
                g = np.array(garr, dtype=self.dtype)  # a copy: never alias the caller's array
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._make(g, None)
        _backward.run_backward([self], [g], retain_graph=create_graph if retain_graph is None
                               else retain_graph, create_graph=create_graph)

    def register_hook(self, hook: Any) -> _hooks.RemovableHandle:
        """Call ``hook(grad)`` with the gradient arriving at this tensor in every backward
        (and ``al.grad``) from now on; if it returns a value, that replaces the gradient
        (same shape and dtype). ``grad`` is the kind ``.grad`` holds: an ndarray, or a Tensor
        under ``create_graph=True`` (so a hook built from ops is differentiated too).

        On an intermediate the hook sees the whole gradient of this tensor, before it
        flows on to the op that made it; on a leaf, the sum of this backward's
        contributions, before it is added to ``.grad``. Hooks run in registration order,
        each on the previous one's result. Returns a handle: ``handle.remove()`` undoes it.
        """
        if not callable(hook):
            raise TypeError(f"register_hook: expected a callable, got {type(hook).__name__}")
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does "
                               "not require grad (no gradient will ever arrive at it)")
        fns = _hooks.tensor_hooks(self).fns
        fns.append(hook)
        return _hooks.RemovableHandle(fns, hook)

    def retain_grad(self) -> None:
        """Keep this intermediate's gradient in ``.grad`` after backward (accumulated over
        backward passes, as a leaf's is): the value after its hooks, whenever they were
        registered. A leaf's ``.grad`` is always kept: nothing to do."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad, so it never "
                               "receives a gradient to retain")
        if self._node is not None:
            _hooks.tensor_hooks(self).retain = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        """True for an intermediate on which :meth:`retain_grad` was called."""
        if self._node is None:
            return False
        entry = graph.tensor_hooks.get(id(self._node))
        return entry is not None and entry.retain is not None and entry.retain() is self

    # ---- in place (never recorded; bumps the version counter) ---------------
    def _inplace(self, name: str, fn: Any, other: Any) -> Tensor:
        if self.requires_grad and graph._grad_enabled:
            raise RuntimeError(
                f"{name}: in-place ops on a tensor that requires grad are not recorded; write "
                f"t = t + x instead, or update it under `with al.no_grad():` as optimisers do")
        o = other.data if isinstance(other, Tensor) else other
        d = self.data
        # An array a live graph saved is read-only: written through its lock, which
        # records the write for the graph's backward to refuse (see locks.modifying).
        opened = None if d.flags.writeable else locks._open(d)
        try:
            fn(d, o, d)  # a ufunc's output casts 'same_kind' by default
        except (ValueError, TypeError) as e:
            # The plain base class: NumPy's casting errors have constructors of their own.
            kind = TypeError if isinstance(e, TypeError) else ValueError
            raise kind(f"{name}: cannot update a tensor of shape {self.shape} and dtype "
                       f"{self.dtype} in place with shape {np.shape(o)}: {e}") from None
        finally:
            if opened is not None:
                locks._close(opened)
        graph.increment_version(self)
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("add_", np.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("sub_", np.subtract, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("mul_", np.multiply, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("div_", np.divide, other)

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """In place ``self += alpha * other``."""
        if alpha != 1.0:  # scaled into a new array: ``other`` (often a .grad) is never written
            other = alpha * _data(other)
        return self._inplace("add_", np.add, other)

    def sub_(self, other: Any) -> Tensor:
        return self._inplace("sub_", np.subtract, other)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", np.multiply, other)

    def copy_(self, other: Any) -> Tensor:
        """Overwrite this tensor's values (broadcasting ``other``)."""
        return self._inplace("copy_", lambda a, b, out: np.copyto(out, b, casting="same_kind"), other)

    def zero_(self) -> Tensor:
        return self.copy_(0)

    def fill_(self, value: float) -> Tensor:
        return self.copy_(value)

    def __setitem__(self, index: Any, value: Any) -> None:
        if self.requires_grad and graph._grad_enabled:
            raise RuntimeError("setitem: assigning into a tensor that requires grad is not "
                               "recorded; build the values with al.where or al.concatenate, or "
                               "assign under `with al.no_grad():`")
        d = self.data
        opened = None if d.flags.writeable else locks._open(d)  # as in _inplace
        try:
            d[_index_data(index)] = _data(value)
        finally:
            if opened is not None:
                locks._close(opened)
        graph.increment_version(self)

    # ---- arithmetic ----------------------------------------------------------
    # Python-scalar operands are the most common constant (``t * 0.5``); wrapping
    # them here skips the generic conversion in apply.
    def __add__(self, o: Any) -> Tensor: return apply(arith.Add, self, _operand(o, self))
    def __radd__(self, o: Any) -> Tensor: return apply(arith.Add, _operand(o, self), self)
    def __sub__(self, o: Any) -> Tensor: return apply(arith.Subtract, self, _operand(o, self))
    def __rsub__(self, o: Any) -> Tensor: return apply(arith.Subtract, _operand(o, self), self)
    def __mul__(self, o: Any) -> Tensor: return apply(arith.Multiply, self, _operand(o, self))
    def __rmul__(self, o: Any) -> Tensor: return apply(arith.Multiply, _operand(o, self), self)
    def __truediv__(self, o: Any) -> Tensor: return apply(arith.Divide, self, _operand(o, self))
    def __rtruediv__(self, o: Any) -> Tensor: return apply(arith.Divide, _operand(o, self), self)
    def __pow__(self, o: Any) -> Tensor: return apply(arith.Power, self, _operand(o, self))
    def __rpow__(self, o: Any) -> Tensor: return apply(arith.Power, _operand(o, self), self)
    def __matmul__(self, o: Any) -> Tensor: return apply(linalg.Matmul, self, o)
    def __rmatmul__(self, o: Any) -> Tensor: return apply(linalg.Matmul, o, self)
    def __neg__(self) -> Tensor: return apply(arith.Negative, self)
    def __pos__(self) -> Tensor: return apply(arith.Positive, self)
    def __abs__(self) -> Tensor: return apply(elementwise.Abs, self)

    # Comparisons are not differentiable: they return bool tensors with no graph.
    def __lt__(self, o: Any) -> Tensor: return Tensor._make(self.data < _data(o), None)
    def __le__(self, o: Any) -> Tensor: return Tensor._make(self.data <= _data(o), None)
    def __gt__(self, o: Any) -> Tensor: return Tensor._make(self.data > _data(o), None)
    def __ge__(self, o: Any) -> Tensor: return Tensor._make(self.data >= _data(o), None)
    def __eq__(self, o: Any) -> Tensor: return Tensor._make(np.asarray(self.data == _data(o)), None)  # type: ignore[override]
    def __ne__(self, o: Any) -> Tensor: return Tensor._make(np.asarray(self.data != _data(o)), None)  # type: ignore[override]

    def __getitem__(self, index: Any) -> Tensor:
        return apply(index_ops.GetItem, self, index=_index_data(index))

    # ---- elementwise methods ------------------------------------------------
    def exp(self) -> Tensor: return apply(elementwise.Exp, self)
    def log(self) -> Tensor: return apply(elementwise.Log, self)
    def sqrt(self) -> Tensor: return apply(elementwise.Sqrt, self)
    def abs(self) -> Tensor: return apply(elementwise.Abs, self)
    def sin(self) -> Tensor: return apply(elementwise.Sin, self)
    def cos(self) -> Tensor: return apply(elementwise.Cos, self)
    def tanh(self) -> Tensor: return apply(elementwise.Tanh, self)
    def sigmoid(self) -> Tensor: return apply(activations.Sigmoid, self)
    def relu(self) -> Tensor: return apply(activations.Relu, self)
    def softplus(self) -> Tensor: return apply(activations.Softplus, self)
    def gelu(self, approximate: str = "none") -> Tensor: return apply(activations.Gelu, self, approximate=approximate)
    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return apply(activations.LeakyRelu, self, negative_slope=negative_slope)
    def elu(self, alpha: float = 1.0) -> Tensor: return apply(activations.Elu, self, alpha=alpha)
    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        return apply(elementwise.Clip, self, a_min=min, a_max=max)

    def astype(self, dtype: Any) -> Tensor:
        """A copy cast to ``dtype``; differentiable between float dtypes."""
        return apply(elementwise.Astype, self, dtype=np.dtype(dtype))

    # ---- reductions ---------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return apply(reduce.Sum, self, axis=axis, keepdims=keepdims)
    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return apply(reduce.Mean, self, axis=axis, keepdims=keepdims)
    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return apply(reduce.Max, self, axis=axis, keepdims=keepdims)
    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return apply(reduce.Min, self, axis=axis, keepdims=keepdims)
    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        return apply(reduce.Var, self, axis=axis, ddof=ddof, keepdims=keepdims)
    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        return apply(reduce.Std, self, axis=axis, ddof=ddof, keepdims=keepdims)
    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return apply(reduce.Logsumexp, self, axis=axis, keepdims=keepdims)
    def softmax(self, axis: int = -1) -> Tensor: return apply(nnops.Softmax, self, axis=axis)
    def log_softmax(self, axis: int = -1) -> Tensor: return apply(nnops.LogSoftmax, self, axis=axis)

    # ---- shape --------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return apply(shape_ops.Reshape, self, shape=_shape_arg(shape))
    def transpose(self, *axes: Any) -> Tensor:
        return apply(shape_ops.Transpose, self, axes=_shape_arg(axes) if axes else None)
    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return apply(shape_ops.Swapaxes, self, axis1=axis1, axis2=axis2)
    def squeeze(self, axis: Any = None) -> Tensor: return apply(shape_ops.Squeeze, self, axis=axis)
    def flatten(self) -> Tensor: return apply(shape_ops.Reshape, self, shape=(-1,))
    ravel = flatten
    def matmul(self, other: Any) -> Tensor: return apply(linalg.Matmul, self, other)

    # ---- NumPy interoperability ---------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        where = f"np.{ufunc.__name__}"
        if method != "__call__":
            raise unsupported(f"{where}.{method}")
        if kwargs:
            raise unsupported(f"{where} with the keyword {', '.join(kwargs)}")
        name = UFUNC_OPS.get(ufunc.__name__)
        if name is not None:
            return apply(Op.registry[name], *inputs)
        if ufunc.__name__ in NONDIFF_UFUNCS:
            return Tensor._make(np.asarray(ufunc(*[_data(i) for i in inputs])), None)
        raise unsupported(where)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        name = ARRAY_FUNCTION_OPS.get(func)
        if name is not None:
            return apply(Op.registry[name], *args, **kwargs)
        adapter = ARRAY_FUNCTION_ADAPTERS.get(func)
        if adapter is not None:
            return adapter(*args, **kwargs)
        if func is np.split:
            return split(*args, **kwargs)
        if func is np.ravel:
            return apply(shape_ops.Reshape, *args, shape=(-1,), **kwargs)
        if func in NONDIFF_FUNCTIONS:
            return func(*_data_tree(args), **_data_tree(kwargs))
        raise unsupported(numpy_name(func))

    @staticmethod
    def _record(op: type[Op], *args: Any, **params: Any) -> Tensor:
        # How code below this module (Op.apply, Op.dispatch, backward) records an op:
        # it finds a Tensor among the inputs and asks it, instead of importing apply.
        return apply(op, *args, **params)

    @staticmethod
    def _of_node(data: np.ndarray, node: Node) -> Tensor:
        # The same for backward's create_graph, which rebuilds a node's intermediate
        # inputs (a node does not keep them) to record its VJP on.
        return Tensor._make(data, node)


#: NumPy's differentiable ufuncs and functions on Tensors, by the op that implements them.
UFUNC_OPS: dict[str, str] = {
    "add": "add", "subtract": "subtract", "multiply": "multiply", "divide": "divide",
    "negative": "negative", "positive": "positive", "power": "power", "exp": "exp", "log": "log",
    "sqrt": "sqrt", "absolute": "abs", "sin": "sin", "cos": "cos", "tanh": "tanh",
    "maximum": "maximum", "minimum": "minimum", "matmul": "matmul",
    "log1p": "log1p", "expm1": "expm1", "log2": "log2", "log10": "log10", "arcsin": "arcsin",
    "arccos": "arccos", "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "arctan2": "arctan2",
    "hypot": "hypot", "logaddexp": "logaddexp", "sign": "sign", "floor": "floor", "ceil": "ceil",
    "rint": "round",
}
NONDIFF_UFUNCS = {
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_not", "logical_xor",
    "signbit", "bitwise_and", "bitwise_or", "bitwise_xor", "invert",
}
ARRAY_FUNCTION_OPS: dict[Any, str] = {
    np.sum: "sum", np.mean: "mean", np.max: "max", np.min: "min", np.amax: "max",
    np.amin: "min", np.var: "var", np.std: "std", np.reshape: "reshape",
    np.transpose: "transpose", np.swapaxes: "swapaxes", np.broadcast_to: "broadcast_to",
    np.squeeze: "squeeze", np.expand_dims: "expand_dims", np.concatenate: "concatenate",
    np.stack: "stack", np.pad: "pad", np.where: "where", np.clip: "clip",
    np.cumsum: "cumsum", np.cumprod: "cumprod", np.prod: "prod", np.flip: "flip", np.roll: "roll",
    np.repeat: "repeat", np.tile: "tile", np.moveaxis: "moveaxis", np.tril: "tril", np.triu: "triu",
    np.diag: "diag", np.diagonal: "diagonal", np.trace: "trace", np.sort: "sort",
    np.take_along_axis: "take_along_axis", np.median: "median", np.percentile: "percentile",
    np.tensordot: "tensordot", np.dot: "dot", np.inner: "inner", np.outer: "outer",
    np.round: "round", np.around: "round", np.linalg.det: "det", np.linalg.inv: "inv",
    np.linalg.solve: "solve", np.linalg.cholesky: "cholesky", np.linalg.norm: "norm",
}
NONDIFF_FUNCTIONS = {
    np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.isclose, np.allclose, np.array_equal, np.argmax, np.argmin, np.any, np.all,
    np.count_nonzero, np.result_type, np.array2string, np.array_repr, np.argsort,
}
#: What to use on Tensors instead of a NumPy function that has no Tensor version, where
#: something differentiable exists (by the name the error message shows).
ALTERNATIVES: dict[str, str] = {
    "np.square": "t * t",
    "np.reciprocal": "1 / t",
    "np.diff": "a difference of slices (t[1:] - t[:-1])",
    "np.hstack": "al.concatenate",
    "np.vstack": "al.concatenate",
    "np.average": "al.mean",
    "np.add.reduce": "al.sum",
    "np.maximum.reduce": "al.max",
    "np.minimum.reduce": "al.min",
}


def unsupported(name: str) -> TypeError:
    """The error for NumPy function ``name`` (``"np.cumsum"``) called on a Tensor."""
    instead = ALTERNATIVES.get(name)
    return TypeError(f"{name} is not supported by autograd_lite" + (
        f"; use {instead} instead, or" if instead else " (it has no differentiable version);")
        + " call it on t.numpy() if you do not need the gradient")


def numpy_name(func: Any) -> str:
    """``np.linalg.norm`` for numpy.linalg.norm: the name a user wrote."""
    module = getattr(func, "__module__", None) or "numpy"
    return "np" + module[len("numpy"):] + "." + func.__name__ if module.startswith("numpy") \
        else f"{module}.{func.__name__}"


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split ``x`` along ``axis`` as :func:`numpy.split` does; each part is a slice
    (a ``getitem``), so the parts' gradients scatter back into place."""
    x = as_tensor(x)  # a list holding Tensors is recorded as their stack
    if not -x.ndim <= axis < x.ndim:
        raise np.exceptions.AxisError(f"split: axis {axis} is out of bounds for shape {x.shape}")
    ax, n = axis % x.ndim, x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(f"split: axis {axis} of shape {x.shape} (length {n}) does not divide "
                             f"into {k} equal sections")
        bounds = [i * (n // k) for i in range(k + 1)]
    elif isinstance(indices_or_sections, (list, tuple, np.ndarray)) and all(
            isinstance(i, (int, np.integer)) for i in indices_or_sections):
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    else:
        raise TypeError(f"split: indices_or_sections must be an int or a sequence of ints, "
                        f"got {indices_or_sections!r}")
    pre = (slice(None),) * ax
    return [apply(index_ops.GetItem, x, index=pre + (slice(a, b),)) for a, b in zip(bounds, bounds[1:])]


class SlogdetResult(NamedTuple):
    """``al.slogdet``'s result, as NumPy's: ``det = sign * exp(logabsdet)``."""

    sign: Tensor
    logabsdet: Tensor


def slogdet(a: Any) -> SlogdetResult:
    """``np.linalg.slogdet``: the sign of ``det(a)`` (a constant) and ``log|det(a)|``
    (the op ``slogdet``, differentiable)."""
    logabsdet = apply(matrix.Slogdet, a)
    # The sign from a second factorisation: the op has one output, the log.
    sign = np.linalg.slogdet(a.data if isinstance(a, Tensor) else np.asarray(a))[0]
    return SlogdetResult(Tensor._make(np.asarray(sign, logabsdet.dtype), None), logabsdet)


def einsum(subscripts: str, *operands: Any, optimize: Any = False) -> Tensor:
    """``np.einsum(subscripts, *operands)``, differentiable in every operand (the op
    ``einsum``, which takes the operands first)."""
    return apply(contract.Einsum, list(operands), subscripts=subscripts, optimize=optimize)


slogdet.op = matrix.Slogdet  # type: ignore[attr-defined]
einsum.op = contract.Einsum  # type: ignore[attr-defined]

#: NumPy functions whose signature is not their op's, by the function taking NumPy's.
ARRAY_FUNCTION_ADAPTERS: dict[Any, Any] = {np.einsum: einsum, np.linalg.slogdet: slogdet}


def _operand(o: Any, t: Tensor) -> Any:
    cls = type(o)
    if cls is float or cls is int:
        dt = t.data.dtype
        if dt.kind != "f":
            dt = _default_dtype
        c = _SCALARS.get((o, dt))
        return c if c is not None else _scalar(o, dt)
    return o


def _scalar(o: float | int | bool, dt: np.dtype) -> Tensor:
    """A Python number as a read-only 0-d constant of dtype ``dt``.

    Constants are shared: ``y * 0.5`` in a loop reuses one tensor instead of building
    an array and a Tensor per op (which the cyclic GC would then scan for as long as
    the graph lives). The graph renderer folds scalar constants into their op's label,
    so sharing changes no picture. Zero is not cached (0.0 == -0.0 would share a
    sign), nor is NaN (it never equals itself). Read-only, as no user holds the array:
    a graph never needs to lock it (see locks._Lock).
    """
    key = (o, dt)
    c = _SCALARS.get(key)
    if c is None:
        arr = np.asarray(o, dt)
        arr.flags.writeable = False
        c = Tensor._make(arr, None)
        if o and o == o and len(_SCALARS) < 512:  # not 0 or -0.0, not NaN
            _SCALARS[key] = c
            locks._SHARED.add(c)
    return c


_SCALARS: dict[tuple[Any, np.dtype], Tensor] = {}


#: The implicit cotangent of a 0-d loss, shared by every ``loss.backward()`` (VJPs never
#: write into ``g``; a leaf's ``.grad`` gets a copy).
_SEED = DtypeConstants(1)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _gradient_array(gradient: Any, fn: str = "backward") -> np.ndarray:
    """A cotangent passed to ``backward`` (or ``gradients``) as an array of numbers."""
    try:
        garr = np.asarray(gradient)
    except ValueError as e:
        raise ValueError(f"{fn}: the gradient must be an array of numbers; got a "
                         f"{type(gradient).__name__} NumPy cannot convert: {e}") from None
    if garr.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: the gradient must hold real numbers; got dtype {garr.dtype} "
                        f"({np.array2string(garr, threshold=6)})")
    return garr


def _data_tree(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_data_tree(i) for i in x)
    if isinstance(x, dict):
        return {k: _data_tree(v) for k, v in x.items()}
    return x


def _index_data(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_data(i) for i in index)
    return _data(index)


def _shape_arg(args: Sequence[Any]) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


# ---- recording ---------------------------------------------------------------

def _op_error(op: type[Op], exc: Exception, tensors: Sequence[Tensor]) -> Exception:
    shapes = ", ".join(str(t.shape) for t in tensors)
    dtypes = ", ".join(str(t.dtype) for t in tensors)
    msg = str(exc)
    if not msg.startswith(op.name + ":"):
        msg = f"{op.name}: {msg}"
    if "shape" not in msg or "dtype" not in msg:
        msg += f" (input shapes: {shapes}; dtypes: {dtypes})"
    kind = type(exc) if isinstance(exc, (ValueError, TypeError, IndexError)) else ValueError
    try:
        return kind(msg)
    except Exception:  # a constructor of its own (NumPy's UFuncTypeError): its plain base
        return next(k for k in (TypeError, IndexError, ValueError) if isinstance(exc, k))(msg)


def _bind(op: type[Op], args: tuple, params: dict) -> tuple[tuple, dict]:
    """Split a call's arguments into input tensors and keyword params."""
    if op.arity is None:
        if len(args) != 1:
            args, params = (args[0],), {**dict(zip(op._param_names, args[1:])), **params}
        seq = args[0]
        if isinstance(seq, Tensor) or not isinstance(seq, (list, tuple)):
            raise TypeError(f"{op.name}: expected a sequence of tensors, got {type(seq).__name__}")
        return tuple(seq), params
    if len(args) < op.arity:
        raise TypeError(f"{op.name}: expected {op.arity} inputs, got {len(args)}")
    extra = args[op.arity:]
    if len(extra) > len(op._param_names):
        raise TypeError(f"{op.name}: takes {op.arity} inputs and the params "
                        f"{op._param_names}; got {len(args)} positional arguments")
    return args[:op.arity], {**dict(zip(op._param_names, extra)), **params}


def _convert(args: tuple, op: type[Op]) -> tuple:
    """Every argument as a Tensor; Python scalars take the first float tensor's dtype."""
    out = []
    for a in args:
        if isinstance(a, Tensor):
            out.append(a)
        elif type(a) is np.ndarray and a.dtype.kind in "fiub":  # e.g. a loss's labels,
            out.append(Tensor._make(a, None))  # every step: kept as they are
        else:
            out.append(_operand_tensor(a, len(out), args, op))
    return tuple(out)


def _operand_tensor(a: Any, i: int, args: tuple, op: type[Op]) -> Tensor:
    """Input ``i`` of ``op``, not a Tensor nor a numeric ndarray, as a Tensor."""
    try:
        if isinstance(a, list) and op.domain[min(i, len(op.domain) - 1)] in ("labels", "bool"):
            arr = np.asarray(a)  # [0, 2, 1] stays integer, as an ndarray of labels would
            if arr.dtype.kind in "fiub":
                return Tensor._make(arr, None)
        return as_tensor(a, _float_dtype(args))
    except (TypeError, ValueError) as e:  # e.g. t + "a"
        raise type(e)(f"{op.name}: input {i}: {e}") from None


def _float_dtype(args: tuple) -> np.dtype | None:
    for a in args:
        if isinstance(a, Tensor) and a.data.dtype.kind == "f":
            return a.data.dtype
    return None


def apply(op: type[Op], *args: Any, **params: Any) -> Tensor:
    """Run ``op`` on Tensors (or values convertible to them) and record it if needed.

    This is the hot path of every forward pass: the common case (the right number
    of Tensor arguments) goes through one loop with no conversions.
    """
    if len(args) != op.arity:
        args, params = _bind(op, args, params)
    for a in args:
        if type(a) is not Tensor and not isinstance(a, Tensor):
            args = _convert(args, op)  # a Python scalar or an array among the inputs
            break
    # One plain loop, not three comprehensions: in CPython 3.11 a comprehension
    # builds a function object and a frame, a real share of a small op's cost.
    datas, needs = [], []
    for a in args:
        datas.append(a.data)
        needs.append(a.requires_grad)
    arrays = tuple(datas)  # a call unpacks a tuple as it is; the node keeps it for the VJP
    record = graph._grad_enabled and True in needs
    saved = None
    try:
        # No ``**params`` when there are none: unpacking even an empty dict costs.
        # _wants_saved (set on each op class) rather than forward_saving, which most
        # ops inherit as None from Op: in CPython 3.11 that lookup costs ~1k instructions.
        if record and op._wants_saved:
            out, saved = op.forward_saving(*arrays, **params) if params else op.forward_saving(*arrays)
        else:
            out = op.forward(*arrays, **params) if params else op.forward(*arrays)
    except (ValueError, TypeError, IndexError, np.exceptions.AxisError) as e:
        raise _op_error(op, e, args) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    # The Node and the Tensor are built field by field here rather than by calling
    # constructors: two Python frames less on every op (about a tenth of its cost).
    node = None
    if record:
        parents = []
        held = None
        own = True  # is every input array its parent's own? (see Node.arrays)
        for a in args:
            n = a._node
            if n is not None:
                parents.append(n)
                if a.data is not n.out:
                    own = False
                continue
            parents.append(a)
            # A leaf's or constant's array: lock it, unless the VJP will not read it
            # (Op.read_for). A shared scalar constant (the 0.5 of y * 0.5) is skipped
            # by one set lookup: about 1,500 fewer of the 41,000 machine instructions
            # an op costs in the per-op benchmark.
            if a not in _SHARED:
                own = False
                rf = op.read_for
                if rf is not None:
                    for j in rf[len(parents) - 1]:
                        if needs[j]:
                            break
                    else:  # the VJP reads this array for none of the gradients asked
                        continue
                held = _hold(a.data, held)
        # One shared tuple per pattern of needs: a graph's every object is scanned by
        # the cyclic GC while the graph is alive, so fewer objects is faster.
        flags = tuple(needs)
        if len(flags) <= 3:  # a sequence op (concatenate) could make endless patterns
            flags = _NEEDS.setdefault(flags, flags)
        node = _new(Node)
        node.op = op
        node.params = params or _NO_PARAMS
        node.parents = parents = tuple(parents)
        node.needs = flags
        # No input Tensors kept: in a chain the intermediate Tensor then dies at once (two
        # GC-tracked objects fewer per op, 136 bytes; see Node). Nor, usually, a tuple of
        # the arrays the parents hold anyway (56 bytes more).
        node.arrays = parents if own else arrays
        node.out = out
        node.saved = saved
        node.seq = graph._next_seq()
        node.stamp = graph._clock
        node.modified = 0
        shape = out.shape
        # One shared tuple per shape: 48 bytes and a GC-tracked object less per op.
        s = _SHAPES.get(shape)
        node.shape = s if s is not None else _shape(shape)
        node.dtype = out.dtype
        node.scope = graph._scope
        node.where = None
        node.held = held
    t = _new(Tensor)  # what Tensor._make does
    t.data = out
    t.grad = None
    t.requires_grad = record
    t._node = node
    t._version = 0
    if graph.forward_hooks:
        return _forward_hooks(op, args, params, out, node, t)
    return t


def _forward_hooks(op: type[Op], args: tuple, params: dict, out: np.ndarray, node: Node | None,
                   t: Tensor) -> Tensor:
    for hook in graph.forward_hooks:
        if isinstance(hook, _ForwardTap):
            t = hook.tap(op, args, params, t)
        else:
            hook(op, args, out, node)
    return t


def _shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    if len(_SHAPES) < 4096:  # bounded: a loop over growing sizes must not fill memory
        _SHAPES[shape] = shape
    return shape


_new = object.__new__
_SHAPES: dict[tuple[int, ...], tuple[int, ...]] = {}
_ForwardTap = graph.ForwardTap
_NEEDS: dict[tuple[bool, ...], tuple[bool, ...]] = {}  # at most 14 entries: (True,), (True, False)...
_NO_PARAMS: dict[str, Any] = {}  # shared by every node of an op without params: never written
