"""Transforms: derivatives as functions. ``grad``, ``value_and_grad``, ``vjp``,
``jacobian``, ``hessian``, ``hvp``, ``elementwise_grad`` (JAX's names and conventions),
and ``gradients``, PyTorch's ``torch.autograd.grad``. Forward mode (``jvp``) is in
``forward.py``, gradient checkpointing in ``checkpoint.py``; docs/transforms.md has the
math and the cost of each.

Every transform takes and returns pytrees (``autograd_lite.pytree``): nested dicts,
lists and tuples of Tensors, such as a model's dict of parameters.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from . import graph
from .backward import run_backward
from .forward import Trace, _jvp, as_result, mark, split_aux, traced
from .graph import enable_grad
from .pytree import leaves_like, tree_flatten, tree_unflatten
from .tensor import Tensor, _gradient_array


def gradients(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
              grad_outputs: Any = None, *, retain_graph: bool | None = None,
              create_graph: bool = False) -> list[Any]:
    """d(outputs)/d(inputs) contracted with ``grad_outputs``, without touching ``.grad``.

    Like ``torch.autograd.grad``: ``inputs`` may be leaves or intermediate tensors;
    an input that the outputs do not depend on gets ``None``. With
    ``create_graph=True`` the results are Tensors that can be differentiated again.
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for what, ts in (("outputs", outs), ("inputs", ins)):
        bad = [type(t).__name__ for t in ts if not isinstance(t, Tensor)]
        if bad:
            raise TypeError(f"gradients: {what} must be Tensors, got {', '.join(bad)}")
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)) or np.isscalar(grad_outputs):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outs):
        raise ValueError(f"gradients: {len(grad_outputs)} grad_outputs for {len(outs)} outputs")
    gs = []
    for o, g in zip(outs, grad_outputs):
        if not o.requires_grad:
            raise RuntimeError("gradients: an output does not require grad; nothing to differentiate")
        if g is None:
            if o.size != 1:
                raise RuntimeError(f"gradients: grad_outputs is needed for an output of shape {o.shape}")
            g = np.ones(o.shape, o.dtype)
        garr = g.data if isinstance(g, Tensor) else _gradient_array(g, "gradients")
        if garr.shape != o.shape:
            raise ValueError(f"gradients: grad_output has shape {garr.shape}, output has shape {o.shape}")
        if create_graph:
            gs.append(g if isinstance(g, Tensor) else Tensor._make(np.array(garr), None))
        else:
            gs.append(np.array(garr, dtype=o.dtype))
    res = run_backward(outs, gs, retain_graph=create_graph if retain_graph is None else retain_graph,
                       create_graph=create_graph, targets=ins)
    assert res is not None
    if create_graph:
        res = [r if r is None or isinstance(r, Tensor) else Tensor._make(np.asarray(r), None) for r in res]
    return res


def _mark_args(f: Any, args: Sequence[Any], nums: tuple[int, ...], caller: str
               ) -> tuple[list[Any], list[Tensor], list[tuple[Any, int, int]], list[Any]]:
    """``args`` with the leaves of the arguments ``nums`` replaced by marks (call under
    grad mode); the marks; per argument, (its structure, first mark, number); and the
    leaves the marks replaced."""
    args_l, marks, trees, originals = list(args), [], [], []
    if not all(-len(args) <= i < len(args) for i in nums):  # JAX's error, and its type
        raise TypeError(f"{caller}: differentiating with respect to argnums="
                        f"{nums[0] if len(nums) == 1 else nums} needs at least "
                        f"{max(i if i >= 0 else -i - 1 for i in nums) + 1} positional "
                        f"arguments, but {getattr(f, '__name__', 'f')} was called with {len(args)}")
    for i in nums:
        leaves, treedef = tree_flatten(args_l[i])
        ms = [mark(x) for x in leaves]
        args_l[i] = tree_unflatten(treedef, ms)
        trees.append((treedef, len(marks), len(ms)))
        marks.extend(ms)
        originals.extend(leaves)
    return args_l, marks, trees, originals


def _per_arg(trees: list[tuple[Any, int, int]], values: Sequence[Any], single: bool) -> Any:
    """Values, one per mark, regrouped into one pytree per differentiated argument."""
    out = [tree_unflatten(td, values[start:start + n]) for td, start, n in trees]
    return out[0] if single else tuple(out)


def _argnums(f: Any, argnums: Any, caller: str) -> tuple[bool, tuple[int, ...]]:
    """Is ``argnums`` one argument, and which: checked, with ``f``, when the transform is made."""
    if not callable(f):
        raise TypeError(f"{caller}: f must be callable, got {type(f).__name__}")
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, (bool, np.bool_)):
        return True, (int(argnums),)
    try:
        nums = tuple(argnums)
    except TypeError:
        nums = (None,)
    if not nums or not all(isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))
                           for i in nums):
        raise TypeError(f"{caller}: argnums must be an int or a non-empty sequence of ints, got "
                        f"{argnums!r}")
    return False, tuple(int(i) for i in nums)


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0, *,
                   has_aux: bool = False) -> Callable[..., tuple[Any, Any]]:
    """``f``'s value and its gradient w.r.t. the arguments ``argnums``.

    ``f`` must return a one-element Tensor (with ``has_aux=True``, a pair ``(output,
    aux)``; the value is then ``(output, aux)``, as in JAX). An argument may be a pytree
    (a dict of parameters, say): its gradient is a pytree of the same structure.
    Gradients come back as Tensors recorded in a graph, so ``al.grad(al.grad(f))``
    gives second derivatives.
    """
    return _value_and_grad(f, argnums, has_aux, "value_and_grad")


def _value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int], has_aux: bool,
                    caller: str) -> Callable[..., tuple[Any, Any]]:
    single, nums = _argnums(f, argnums, caller)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        with enable_grad():
            # A fresh node per argument leaf: gradients stop there, even when the
            # argument comes from an outer al.grad's graph.
            args_l, marks, trees, _ = _mark_args(f, args, nums, caller)
            result = f(*args_l, **kwargs)
        out, aux = split_aux(result, has_aux, caller)
        if not isinstance(out, Tensor) or out.size != 1:
            raise TypeError(f"{caller}: the function must return a one-element Tensor, got "
                            f"{type(out).__name__}{' of shape ' + str(out.shape) if isinstance(out, Tensor) else ''}; "
                            f"for other outputs use al.gradients(outputs, inputs, grad_outputs)")
        if not out.requires_grad or not marks:
            gs: list[Any] = [None] * len(marks)
        else:
            gs = gradients(out, marks, create_graph=True)
        gs = [as_result(g, m) for g, m in zip(gs, marks)]
        return ((out, aux) if has_aux else out), _per_arg(trees, gs, single)

    return wrapped


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0, *,
         has_aux: bool = False) -> Callable[..., Any]:
    """The gradient of scalar-valued ``f`` w.r.t. argument(s) ``argnums``, as a function.

    Arguments may be pytrees (nested dicts, lists, tuples of Tensors); each gradient
    has its argument's structure. With ``has_aux=True``, ``f`` returns ``(output,
    aux)`` and the function returns ``(gradient, aux)``.

    >>> import autograd_lite as al
    >>> df = al.grad(lambda x: (x ** 3).sum())
    >>> df(al.tensor([1.0, 2.0]))
    Tensor([ 3., 12.], dtype=float32, op=multiply)
    >>> al.grad(lambda p: (p["w"] * p["b"]).sum())({"w": al.tensor([2.0]), "b": al.tensor([3.0])})
    {'w': Tensor([3.], dtype=float32, op=multiply), 'b': Tensor([2.], dtype=float32, op=multiply)}
    """
    vg = _value_and_grad(f, argnums, has_aux, "grad")

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapped


def elementwise_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The derivative of an elementwise ``f``, element by element (HIPS autograd's name).

    It is the VJP of ``f`` with a cotangent of ones, that is the gradient of
    ``sum(f(x))``: for ``f`` acting elementwise (``out[i]`` depends on ``x[i]`` alone)
    that is ``f'(x)`` at every element, one backward pass for all of them. For other
    ``f`` it is the sum of each column of the Jacobian.

    >>> import autograd_lite as al
    >>> al.elementwise_grad(al.tanh)(al.tensor([0.0, 1.0]))    # 1 - tanh(x)**2
    Tensor([1.        , 0.41997433], dtype=float32, op=multiply)
    """
    _argnums(f, argnums, "elementwise_grad")

    @functools.wraps(f)  # f's name, not total's, in a refusal of the call
    def total(*args: Any, **kwargs: Any) -> Tensor:
        out = f(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"elementwise_grad: the function must return a Tensor, got "
                            f"{type(out).__name__}")
        return out.sum()

    vg = _value_and_grad(total, argnums, False, "elementwise_grad")

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped


def _record_wanted(originals: Sequence[Any], trace: Trace) -> bool:
    """Should a transform's results be recorded (so they can be differentiated)? When
    grad mode is on and the outputs depend on something that requires grad: an input
    that does, an outer transform's variable or a parameter the function reads."""
    return graph._grad_enabled and (any(map(traced, originals)) or trace.outer)


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``f``'s output and a function computing vector-Jacobian products ``uᵀ J`` (JAX's ``vjp``).

    Returns ``(out, vjp_fn)`` (and ``aux`` with ``has_aux=True``): ``vjp_fn(u)``, for a
    cotangent ``u`` of ``out``'s structure and shapes, returns a tuple with one
    cotangent per primal, each of that primal's structure. ``vjp_fn`` may be called
    many times; each call is one backward pass through the graph recorded once.

    >>> import autograd_lite as al
    >>> out, vjp_fn = al.vjp(lambda x: x * x, al.tensor([1.0, 2.0]))
    >>> vjp_fn(al.tensor([1.0, 10.0]))
    (Tensor([ 2., 40.], dtype=float32),)
    """
    if not callable(f):
        raise TypeError(f"vjp: f must be callable, got {type(f).__name__}")
    leaves, treedef = tree_flatten(primals)
    with enable_grad():
        marks = [mark(x) for x in leaves]
        result = f(*tree_unflatten(treedef, marks))
    out, aux = split_aux(result, has_aux, "vjp")
    out_leaves, out_def = tree_flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tensor) or o.dtype.kind != "f":
            raise TypeError(f"vjp: the function must return floating Tensors (in any pytree), "
                            f"got a {type(o).__name__}{' of dtype ' + str(o.dtype) if isinstance(o, Tensor) else ''}")
    record = _record_wanted(leaves, Trace(out_leaves, marks))

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        cts = leaves_like(out_def, cotangent, "vjp_fn", "the cotangent")
        live = [(o, c) for o, c in zip(out_leaves, cts) if o.requires_grad]
        rec = record or (graph._grad_enabled and any(traced(c) for _, c in live))
        gs: list[Any] = [None] * len(marks)
        if live and marks:
            gs = gradients([o for o, _ in live], marks, [c for _, c in live],
                           retain_graph=True, create_graph=rec)
        return tree_unflatten(treedef, [as_result(g, m) for g, m in zip(gs, marks)])

    shown = tree_unflatten(out_def, out_leaves if record else [o.detach() for o in out_leaves])
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, *, mode: str = "auto",
             has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian of ``f`` w.r.t. the arguments ``argnums``, as a function.

    For an output of shape ``S`` and an input of shape ``T`` the block is an array of
    shape ``S + T``: ``J[i..., j...] = d out[i...] / d in[j...]`` (JAX's ``jacobian``).
    With pytrees, the result has the output's structure with each leaf replaced by
    the input's structure of blocks (a tuple over ``argnums`` if it is a tuple).

    ``mode``: ``"reverse"`` (one backward pass per output element, JAX's ``jacrev``),
    ``"forward"`` (one tangent push per input element, ``jacfwd``), or ``"auto"``:
    forward when the inputs have fewer elements than the outputs. Either way ``f``
    runs once. With ``has_aux=True`` the function returns ``(jacobian, aux)``.

    >>> import autograd_lite as al
    >>> A = al.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> al.jacobian(lambda x: A @ x)(al.tensor([1.0, 1.0]))   # of a linear map: A
    Tensor([[1., 2.],
            [3., 4.],
            [5., 6.]], dtype=float32)
    """
    return _jacobian(f, argnums, mode, has_aux, "jacobian")


def _jacobian(f: Callable[..., Any], argnums: int | Sequence[int], mode: str, has_aux: bool,
              caller: str) -> Callable[..., Any]:
    """:func:`jacobian`, its refusals naming ``caller`` (hessian is two jacobians)."""
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"{caller}: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    single, nums = _argnums(f, argnums, caller)

    @functools.wraps(f)
    def jac_fn(*args: Any, **kwargs: Any) -> Any:
        with enable_grad():
            args_l, marks, trees, originals = _mark_args(f, args, nums, caller)
            result = f(*args_l, **kwargs)
        out, aux = split_aux(result, has_aux, caller)
        out_leaves, out_def = tree_flatten(out)
        outs = [o if isinstance(o, Tensor) else _output(o, caller) for o in out_leaves]
        n_in, n_out = sum(m.size for m in marks), sum(o.size for o in outs)
        forward = mode == "forward" or (mode == "auto" and n_in < n_out)
        trace = Trace(outs, marks)
        record = _record_wanted(originals, trace)
        blocks = (_jac_forward if forward else _jac_reverse)(outs, marks, trace, record)
        res = tree_unflatten(out_def, [_per_arg(trees, row, single) for row in blocks])
        return (res, aux) if has_aux else res

    return jac_fn


def _output(value: Any, caller: str) -> Tensor:
    """A function's output that is not a Tensor (a number, an array) as one."""
    try:
        return Tensor(value)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{caller}: the function must return Tensors (in any pytree), got "
                      f"{type(value).__name__}: {e}") from None


def _block(pieces: list[Any], shape: tuple[int, ...], axis: int, dtype: Any) -> Tensor:
    """Rows (axis 0) or columns (axis -1) stacked into one Jacobian block of ``shape``."""
    if not pieces:
        return Tensor._make(np.zeros(shape, dtype), None)
    # np.stack records a stack op when a piece is a Tensor in a graph (differentiable).
    return as_result(np.stack(pieces, axis=axis)).reshape(shape)


def _jac_reverse(outs: list[Tensor], marks: list[Tensor], trace: Trace, record: bool) -> list[list[Tensor]]:
    blocks = []
    for o in outs:
        rows: list[list[Any]] = [[] for _ in marks]
        for k in range(o.size if o.requires_grad else 0):
            e = np.zeros(o.size, o.dtype)
            e[k] = 1
            gs = gradients(o, marks, e.reshape(o.shape), retain_graph=True, create_graph=record)
            for r, g, m in zip(rows, gs, marks):
                r.append(np.zeros(m.shape, m.dtype) if g is None else g)
        blocks.append([_block(r, o.shape + m.shape, 0, o.dtype) for r, m in zip(rows, marks)])
    return blocks


def _jac_forward(outs: list[Tensor], marks: list[Tensor], trace: Trace, record: bool) -> list[list[Tensor]]:
    cols: list[list[list[Any]]] = [[[] for _ in marks] for _ in outs]
    for i, m in enumerate(marks):
        for k in range(m.size):
            t = np.zeros(m.size, m.dtype)
            t[k] = 1
            tans = trace.push([t.reshape(m.shape) if j == i else None for j in range(len(marks))],
                              record)
            for c, tn, o in zip(cols, tans, outs):
                c[i].append(np.zeros(o.shape, o.dtype) if tn is None else tn)
    return [[_block(c[i], o.shape + m.shape, -1, o.dtype) for i, m in enumerate(marks)]
            for c, o in zip(cols, outs)]


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The Hessian of ``f`` w.r.t. the arguments ``argnums``, as a function: forward mode
    over reverse mode, ``jacobian(jacobian(f, mode="reverse"), mode="forward")`` as in
    JAX. For a scalar ``f`` of an input of shape ``T`` the result has shape ``T + T``.

    >>> import autograd_lite as al
    >>> A = al.tensor([[2.0, 1.0], [1.0, 3.0]])
    >>> al.hessian(lambda x: x @ A @ x)(al.tensor([1.0, -1.0]))    # of x^T A x: A + A^T
    Tensor([[4., 2.],
            [2., 6.]], dtype=float32)
    """
    return _jacobian(_jacobian(f, argnums, "reverse", False, "hessian"), argnums, "forward", False,
                     "hessian")


def hvp(f: Callable[..., Any]) -> Callable[..., Any]:
    """The Hessian-vector product of scalar ``f`` as a function ``(x, v, *args) -> H v``,
    ``H`` the Hessian of ``f`` in its first argument at ``x`` (a pytree; ``v`` of the
    same structure), without forming ``H``: the JVP of ``grad(f)`` along ``v``
    (forward over reverse), about the cost of two gradient evaluations.

    >>> import autograd_lite as al
    >>> f = lambda x: (x ** 3).sum()              # H = diag(6 x)
    >>> al.hvp(f)(al.tensor([1.0, 2.0]), al.tensor([1.0, 1.0]))
    Tensor([ 6., 12.], dtype=float32)
    """
    vg = _value_and_grad(f, 0, False, "hvp")

    def hvp_fn(x: Any, v: Any, *args: Any, **kwargs: Any) -> Any:
        # A grad inside: the recorded path at once (the eager one would stop at it).
        return _jvp(lambda x: vg(x, *args, **kwargs)[1], (x,), (v,), False, "hvp", eager=False)[1]

    return functools.wraps(f)(hvp_fn)
