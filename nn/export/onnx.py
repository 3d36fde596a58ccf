"""The ONNX exporter: the registry of layer exporters, the graph they add to, and
:func:`export_onnx`.

The model is walked module by module, starting from the top: each module's exporter
adds its ONNX nodes and hands its submodules back to :meth:`OnnxContext.export`.
Alongside, every module runs once in nn on the example input, so an exporter can read
the shape and dtype of what it receives (:meth:`OnnxContext.value`), and the model is
in evaluation mode throughout (dropout off, batch norm on its running statistics), as
``torch.onnx.export`` does by default.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd_lite as al

from .._atomic import atomic_write
from ..containers import ModuleDict, ModuleList
from ..module import Module
from .trace import Call, check_example, leaves, rebuild, record, tensors

__all__ = ["export_onnx", "register_onnx", "exporter_for", "OnnxContext",
           "UnsupportedModuleError", "EXPORTERS", "DEFAULT_OPSET"]

#: The ONNX opset written by default: 17, the first with LayerNormalization, read by
#: onnxruntime 1.13 (2022) and later.
DEFAULT_OPSET = 17

Exporter = Callable[..., Any]
#: Layer class -> its exporter: ``fn(ctx, module, x, ...) -> y``, where ``x, ...`` are the
#: names of the ONNX values the module receives and ``y`` the name of the one it returns
#: (a tuple of names for a module that returns a tuple).
EXPORTERS: dict[type, Exporter] = {}
#: Layer classes whose input may be integer indices (Embedding).
TAKES_INDICES: set[type] = set()


class UnsupportedModuleError(TypeError):
    """A module that :func:`export_onnx` has no exporter for."""


def register_onnx(cls: type[Module], *,
                  takes_indices: bool = False) -> Callable[[Exporter], Exporter]:
    """Register the decorated function as the ONNX exporter of ``cls``.

    The function is called as ``fn(ctx, module, x)`` with an :class:`OnnxContext`, the
    module, and the name of its input in the graph (one name per input the module
    received as a graph value, a tuple of names for a tuple); it adds nodes with
    ``ctx.node(...)``, exports submodules with ``ctx.export(child, x)``, and returns
    the name of the module's output (a tuple of names, and None for a None, when the
    module returns a tuple). Arguments that are not graph values (flags, constant
    masks) are in ``ctx.arguments``. Subclasses of ``cls`` that keep its ``forward``
    use it too. Registering a class again replaces its exporter. ``takes_indices``:
    the layer's input may be integer indices (an example input may then be integers).
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register_onnx: expected a Module subclass, got {cls!r}")

    def decorate(fn: Exporter) -> Exporter:
        if not callable(fn):
            raise TypeError(f"register_onnx({cls.__name__}): expected a function, got {fn!r}")
        EXPORTERS[cls] = fn
        (TAKES_INDICES.add if takes_indices else TAKES_INDICES.discard)(cls)
        return fn
    return decorate


def exporter_for(cls: type) -> Exporter | None:
    """The exporter of ``cls``: its own, else that of the nearest base class whose
    ``forward`` it inherits unchanged (``MLP`` exports as the ``Sequential`` it is);
    None when there is none."""
    for base in cls.__mro__:
        fn = EXPORTERS.get(base)
        if fn is not None:
            return fn if base is cls or getattr(cls, "forward") is getattr(base, "forward") \
                else None
    return None


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as e:
        raise ImportError("export_onnx needs the onnx package: pip install "
                          "'autograd-lite[onnx]' (onnx, and onnxruntime to run the result)") from e
    return onnx


class OnnxContext:
    """The graph being built, handed to every exporter.

    Names of ONNX values are strings. ``x`` below is a value's name.
    """

    def __init__(self, model: Module, opset: int, calls: dict[int, deque[Call]] | None = None,
                 dynamic: bool = True) -> None:
        self.onnx = _onnx()
        self.opset = opset
        #: Whether some axis of the graph's inputs is left free (a constant that holds
        #: for the example's shapes only, such as a mask, then cannot be built in).
        self.dynamic = dynamic
        self._calls = calls if calls is not None else {}
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._values: dict[str, np.ndarray] = {}
        self._names: set[str] = set()
        self._paths = {id(m): name for name, m in model.named_modules()}
        # A parameter used twice (tied weights) becomes one initializer.
        self._tensors: dict[int, str] = {}
        self._state = {id(t): name for name, t in [*model.named_parameters(),
                                                   *model.named_buffers()]}
        self._stack: list[str] = []
        self._arguments: list[dict[str, Any]] = []

    # ---- names and values -------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        """A value name not used yet, from ``hint``."""
        name, k = hint, 1
        while name in self._names:
            name, k = f"{hint}_{k}", k + 1
        self._names.add(name)
        return name

    @property
    def path(self) -> str:
        """Where in the model the module being exported is (``"fc1"``, ``"0.2"``; ``""``
        for the model itself)."""
        return self._stack[-1] if self._stack else ""

    @property
    def arguments(self) -> dict[str, Any]:
        """The arguments the module being exported got in the model's forward pass, by
        name, defaults filled in, Tensors as arrays: the flags and constants that are
        not graph values."""
        return self._arguments[-1] if self._arguments else {}

    def value(self, x: str) -> np.ndarray:
        """The example value of ``x`` (the input of a module, or its output): its shape
        and dtype are those of the exported graph, except the axes the graph leaves
        free (the batch)."""
        return self._values[x]

    # ---- building ---------------------------------------------------------------------
    def node(self, op_type: str, inputs: list[str], n_outputs: int = 1,
             **attributes: Any) -> Any:
        """Add an ONNX node ``op_type`` (from the default domain) reading ``inputs``
        (``""`` for an omitted optional input); returns the name of its output (a list of
        ``n_outputs`` names when that is not 1)."""
        # Named as torch.onnx names them: "/fc1/Gemm", output "/fc1/Gemm_output_0".
        name = self.fresh(f"/{self.path}/{op_type}" if self.path else f"/{op_type}")
        outputs = [self.fresh(f"{name}_output_{i}") for i in range(n_outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, outputs, name=name,
                                                     **attributes))
        return outputs[0] if n_outputs == 1 else outputs

    def tensor(self, value: Any, name: str | None = None) -> str:
        """An initializer (a constant tensor stored in the model) holding ``value``: a
        Parameter or buffer of the model (named as in its ``state_dict``, stored once
        however often it is used), or an array, named ``name`` under the current path."""
        if isinstance(value, al.Tensor) and id(value) in self._tensors:
            return self._tensors[id(value)]
        array = np.asarray(value.data if isinstance(value, al.Tensor) else value)
        if isinstance(value, al.Tensor) and name is None and id(value) in self._state:
            hint = self._state[id(value)]
        else:
            hint = f"{self.path}.{name or 'const'}" if self.path else (name or "const")
        out = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(
            np.array(array, order="C", copy=None), out))
        if isinstance(value, al.Tensor) and name is None:
            self._tensors[id(value)] = out
        return out

    def constant(self, value: Any, like: str, name: str = "const") -> str:
        """An initializer holding ``value`` in the dtype of the value ``like``."""
        return self.tensor(np.asarray(value, dtype=self.value(like).dtype), name)

    def reduce_mean(self, x: str, axes: list[int], keepdims: bool = True) -> str:
        """``ReduceMean`` over ``axes``, in the form the opset takes (attribute before
        opset 18, input from 18)."""
        if self.opset < 18:
            return self.node("ReduceMean", [x], axes=axes, keepdims=int(keepdims))
        return self.node("ReduceMean", [x, self.tensor(np.asarray(axes, np.int64), "axes")],
                         keepdims=int(keepdims))

    def export(self, module: Module, *inputs: Any) -> Any:
        """Add ``module`` applied to ``inputs`` (names, or tuples of names) to the graph;
        returns its output's name (or tuple of names). :class:`UnsupportedModuleError`
        if it has no exporter."""
        if not isinstance(module, Module):
            raise TypeError(f"export_onnx: expected a Module at {self.path or 'the top'}, got "
                            f"a {type(module).__name__}")
        path = self._paths.get(id(module), self.path)
        fn = exporter_for(type(module))
        if fn is None:
            raise UnsupportedModuleError(_unsupported(module, path))
        queue = self._calls.get(id(module))
        if queue:  # what it received and returned in the model's forward pass
            arguments, out = queue.popleft()
            for names, value in zip(inputs, arguments.values()):
                for name, v in zip(leaves(names), leaves(value)):
                    if name is not None and isinstance(v, np.ndarray):
                        self._values.setdefault(name, v)
        elif all(n in self._values for n in leaves(inputs) if n is not None):
            # Not called by the model's forward: run it now.
            args = rebuild(inputs, [None if n is None else self._values[n]
                                    for n in leaves(inputs)])
            out = module(*[None if a is None else tensors(a) for a in args])
            arguments = {f"arg{i}": a for i, a in enumerate(args)}
        else:
            raise RuntimeError(f"export_onnx: the exporter of {self.path or 'the model'} exports "
                               f"{path or 'a module'} ({type(module).__name__}), which the "
                               f"model's forward never calls, on {inputs!r}, whose value is "
                               f"unknown")
        self._stack.append(path)
        self._arguments.append(arguments)
        try:
            y = fn(self, module, *inputs)
        finally:
            self._stack.pop()
            self._arguments.pop()
        if len(leaves(y)) != len(leaves(out)):
            raise RuntimeError(f"export_onnx: the exporter of {path or 'the model'} ("
                               f"{type(module).__name__}) returned {y!r}, but the module returns "
                               f"{len(leaves(out))} value(s) (None included)")
        for name, v in zip(leaves(y), leaves(out)):
            if isinstance(name, str) and isinstance(v, (al.Tensor, np.ndarray)):
                self._values.setdefault(name, np.asarray(v.data if isinstance(v, al.Tensor)
                                                         else v))
        return y


def _unsupported(module: Module, path: str) -> str:
    cls = type(module)
    where = f"'{path}'" if path else "the model itself"
    names = sorted(c.__name__ for c in EXPORTERS)
    if cls.__mro__[1:] and any(base in EXPORTERS for base in cls.__mro__[1:]):
        why = (f"it subclasses {next(b for b in cls.__mro__[1:] if b in EXPORTERS).__name__} "
               f"but overrides forward, which the exporter cannot follow")
    elif isinstance(module, (ModuleList, ModuleDict)):
        why = "it has no forward of its own: register an exporter for the module that uses it"
    else:
        why = "no exporter is registered for it"
    return (f"export_onnx: cannot export {where} ({cls.__module__}.{cls.__qualname__}): {why}. "
            f"Layers that export: {', '.join(names)}. To add one, write "
            f"@nn.export.register_onnx({cls.__name__}) def f(ctx, module, x): ... "
            f"(see docs/onnx.md)")


def export_onnx(model: Module, example_input: Any, path: str | os.PathLike | None = None, *,
                opset_version: int = DEFAULT_OPSET, input_name: str | Sequence[str] = "input",
                output_name: str | Sequence[str] = "output", dynamic_batch: bool = True,
                dynamic_axes: Mapping[str, Mapping[int, str] | Sequence[int]] | None = None,
                kwargs: Mapping[str, Any] | None = None) -> Any:
    """Export ``model`` as an ONNX graph; write it to ``path`` (atomically) unless None.

    Parameters
    ----------
    model
        A Module all of whose layers have an exporter (:data:`EXPORTERS`). It is
        exported in evaluation mode; its modes are restored afterwards.
    example_input
        An array (or Tensor) of the shape and dtype the model takes, e.g. one batch; or
        a tuple of them, the positional arguments of a model that takes several (an
        attention layer's query, key, value; a recurrent layer's input and initial
        state, itself a tuple for an LSTM). Each becomes one input of the graph.
    path
        Where to write the ``.onnx`` file.
    opset_version
        The ONNX opset, from 17 (the default) to the newest the onnx package knows.
    input_name, output_name
        Names of the graph's inputs and outputs: a name per input (output), or one name
        ``n`` for all, then numbered ``n_0``, ``n_1``, ... when there are several. A
        model returning a tuple (``(output, h_n)``) has one graph output per element,
        flattened in order; a None in it (no attention weights) is left out.
    dynamic_batch
        Leave the first axis of the input free (named ``"batch"``), so that the model
        runs on any batch size; False fixes it to the example's. With several inputs,
        the first axis of each is free (named ``<input>_0``).
    dynamic_axes
        Instead, the free axes of each input by name: ``{"input": {0: "sequence", 1:
        "batch"}}`` (or a list of axes, named ``<input>_<axis>``); the others are fixed.
    kwargs
        Keyword arguments of the model's forward (masks, ``need_weights``...), built into
        the graph as constants.

    Returns
    -------
    onnx.ModelProto
        The model, checked by ``onnx.checker`` (with shape inference).

    Raises
    ------
    UnsupportedModuleError
        A layer without an exporter, named with its place in the model.
    TypeError, ValueError
        An example input that is not a floating array of the parameters' dtype (or
        integer indices for an Embedding), an opset out of range, bad names or axes.
    """
    onnx = _onnx()
    if not isinstance(model, Module):
        raise TypeError(f"export_onnx: model must be an nn.Module, got {type(model).__name__}")
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset_version, bool) or not isinstance(opset_version, int) \
            or not DEFAULT_OPSET <= opset_version <= newest:
        raise ValueError(f"export_onnx: opset_version must be an int from {DEFAULT_OPSET} to "
                         f"{newest} (the newest this onnx package knows), got {opset_version!r}")
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise TypeError(f"export_onnx: kwargs must be a dict of forward's keyword arguments, "
                        f"got {type(kwargs).__name__}")
    x = check_example(model, example_input if isinstance(example_input, tuple)
                      else (example_input,), lambda m: type(m) in TAKES_INDICES)
    in_names = _names(input_name, len(leaves(x)), "input_name")
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with al.no_grad():
            graph = _build(model, x, opset_version, in_names, output_name,
                           _dims(x, in_names, dynamic_batch, dynamic_axes), dict(kwargs or {}))
    finally:
        for m, mode in modes:
            m.training = mode
    proto = onnx.helper.make_model(
        graph, producer_name="autograd_lite", doc_string=f"nn.{type(model).__name__} exported "
        f"by autograd_lite", opset_imports=[onnx.helper.make_opsetid("", opset_version)])
    # The oldest IR version that the opset allows, so older runtimes read the file too.
    proto.ir_version = onnx.helper.find_min_ir_version_for(list(proto.opset_import))
    try:
        proto = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise RuntimeError(f"export_onnx: the graph built for {type(model).__name__} is not valid "
                           f"ONNX, a bug in the exporter of one of its layers: {e}") from e
    if path is not None:
        try:
            with atomic_write(Path(path), fsync=True) as f:
                f.write(proto.SerializeToString())
        except OSError as e:
            why = os.strerror(e.errno) if e.errno else str(e)
            raise type(e)(e.errno, f"export_onnx: cannot write {path}: {why}") from None
    return proto


def _names(name: str | Sequence[str], n: int, what: str) -> list[str]:
    """``n`` graph names from one name (numbered when n > 1) or a sequence of n."""
    names = ([name] if n == 1 else [f"{name}_{i}" for i in range(n)]) if isinstance(name, str) \
        else list(name) if isinstance(name, Sequence) else [None]
    if not all(isinstance(s, str) and s for s in names):
        raise TypeError(f"export_onnx: {what} must be a non-empty str or a sequence of them, got "
                        f"{name!r}")
    if len(names) != n:
        raise ValueError(f"export_onnx: {what} has {len(names)} names ({name!r}) for the "
                         f"graph's {n}")
    return names


def _dims(x: Any, names: list[str], dynamic_batch: bool,
          dynamic_axes: Mapping[str, Any] | None) -> list[list[Any]]:
    """Each input's dimensions: an int, or a name for a free axis."""
    dims = [list(a.shape) for a in leaves(x)]
    if dynamic_axes is None:
        for d, name in zip(dims, names):
            if dynamic_batch and d:  # several inputs' first axes need not be equal
                d[0] = "batch" if len(dims) == 1 else f"{name}_0"
        return dims
    for key, axes in dynamic_axes.items():
        if key not in names:
            raise ValueError(f"export_onnx: dynamic_axes names {key!r}, which is not an input of "
                             f"the graph ({', '.join(names)})")
        d = dims[names.index(key)]
        named = dict(axes) if isinstance(axes, Mapping) else {a: f"{key}_{a}" for a in axes}
        for a, label in named.items():
            if isinstance(a, bool) or not isinstance(a, int) or not -len(d) <= a < len(d):
                raise ValueError(f"export_onnx: dynamic_axes[{key!r}] has axis {a!r}, but that "
                                 f"input has {len(d)} axes (shape {tuple(d)})")
            d[a] = str(label)
    return dims


def _build(model: Module, x: tuple, opset: int, input_names: list[str],
           output_name: str | Sequence[str], dims: list[list[Any]],
           kwargs: dict[str, Any]) -> Any:
    if exporter_for(type(model)) is None:  # before the forward pass (ModuleList has none)
        raise UnsupportedModuleError(_unsupported(model, ""))
    dynamic = any(isinstance(a, str) for d in dims for a in d)
    ctx = OnnxContext(model, opset, record(model, x, kwargs), dynamic)
    helper = ctx.onnx.helper
    ctx._names.update(input_names)
    for name, value in zip(input_names, leaves(x)):
        ctx._values[name] = value
    ys = [y for y in leaves(ctx.export(model, *rebuild(x, list(input_names)))) if y is not None]
    output_names = _names(output_name, len(ys), "output_name")
    clash = set(output_names) & set(input_names)
    if clash:
        raise ValueError(f"export_onnx: input_name and output_name are both {min(clash)!r}; the "
                         f"graph's inputs and outputs need different names")
    ctx._names.update(output_names)
    consts = {t.name for t in ctx.initializers}
    for i, y in enumerate(ys):
        if y in input_names or y in consts or y in ys[:i]:
            ys[i] = ctx.node("Identity", [y])  # a graph output must be one node's output
    rename = dict(zip(ys, output_names))
    for node in ctx.nodes:  # the outputs get their names
        node.input[:] = [rename.get(i, i) for i in node.input]
        node.output[:] = [rename.get(o, o) for o in node.output]
    inputs = [helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(v.dtype), d)
              for name, v, d in zip(input_names, leaves(x), dims)]
    # Their types and shapes come from ONNX's shape inference (see export_onnx).
    outputs = [helper.make_tensor_value_info(name, 0, None) for name in output_names]
    return helper.make_graph(ctx.nodes, f"{type(model).__name__}", inputs, outputs,
                             ctx.initializers)
