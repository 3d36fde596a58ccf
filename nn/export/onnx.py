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
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import autograd_lite as al

from .._atomic import atomic_write
from ..containers import ModuleDict, ModuleList
from ..module import Module

__all__ = ["export_onnx", "register_onnx", "exporter_for", "OnnxContext",
           "UnsupportedModuleError", "EXPORTERS", "DEFAULT_OPSET"]

#: The ONNX opset written by default: 17, the first with LayerNormalization, read by
#: onnxruntime 1.13 (2022) and later.
DEFAULT_OPSET = 17

Exporter = Callable[["OnnxContext", Any, str], str]
#: Layer class -> its exporter: ``fn(ctx, module, x) -> y``, where ``x`` is the name of
#: the ONNX value the module receives and ``y`` the name of the one it returns.
EXPORTERS: dict[type, Exporter] = {}


class UnsupportedModuleError(TypeError):
    """A module that :func:`export_onnx` has no exporter for."""


def register_onnx(cls: type[Module]) -> Callable[[Exporter], Exporter]:
    """Register the decorated function as the ONNX exporter of ``cls``.

    The function is called as ``fn(ctx, module, x)`` with an :class:`OnnxContext`, the
    module, and the name of its input in the graph; it adds nodes with
    ``ctx.node(...)``, exports submodules with ``ctx.export(child, x)``, and returns
    the name of the module's output. Subclasses of ``cls`` that keep its ``forward``
    use it too. Registering a class again replaces its exporter.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register_onnx: expected a Module subclass, got {cls!r}")

    def decorate(fn: Exporter) -> Exporter:
        if not callable(fn):
            raise TypeError(f"register_onnx({cls.__name__}): expected a function, got {fn!r}")
        EXPORTERS[cls] = fn
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

    def __init__(self, model: Module, opset: int,
                 calls: dict[int, deque[tuple[Any, Any]]] | None = None) -> None:
        self.onnx = _onnx()
        self.opset = opset
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

    def value(self, x: str) -> np.ndarray:
        """The example value of ``x`` (the input of a module, or its output): its shape
        and dtype are those of the exported graph, except the batch axis, which the
        graph leaves free."""
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

    def export(self, module: Module, x: str) -> str:
        """Add ``module`` applied to ``x`` to the graph; returns its output's name.
        :class:`UnsupportedModuleError` if it has no exporter."""
        if not isinstance(module, Module):
            raise TypeError(f"export_onnx: expected a Module at {self.path or 'the top'}, got "
                            f"a {type(module).__name__}")
        path = self._paths.get(id(module), self.path)
        fn = exporter_for(type(module))
        if fn is None:
            raise UnsupportedModuleError(_unsupported(module, path))
        queue = self._calls.get(id(module))
        if queue:  # what it received and returned in the model's forward pass
            value, out = queue.popleft()
            self._values.setdefault(x, value)
        elif x in self._values:  # not called by the model's forward: run it now
            out = module(al.Tensor(self._values[x]))
        else:
            raise RuntimeError(f"export_onnx: the exporter of {self.path or 'the model'} exports "
                               f"{path or 'a module'} ({type(module).__name__}), which the "
                               f"model's forward never calls, on {x!r}, whose value is unknown")
        self._stack.append(path)
        try:
            y = fn(self, module, x)
        finally:
            self._stack.pop()
        if isinstance(out, (al.Tensor, np.ndarray)):
            self._values.setdefault(y, np.asarray(out.data if isinstance(out, al.Tensor) else out))
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
                opset_version: int = DEFAULT_OPSET, input_name: str = "input",
                output_name: str = "output", dynamic_batch: bool = True) -> Any:
    """Export ``model`` as an ONNX graph; write it to ``path`` (atomically) unless None.

    Parameters
    ----------
    model
        A Module all of whose layers have an exporter (:data:`EXPORTERS`). It is
        exported in evaluation mode; its modes are restored afterwards.
    example_input
        An array (or Tensor) of the shape and dtype the model takes, e.g. one batch.
        It fixes every axis of the graph's input except the first (the batch).
    path
        Where to write the ``.onnx`` file.
    opset_version
        The ONNX opset, from 17 (the default) to the newest the onnx package knows.
    input_name, output_name
        Names of the graph's input and output.
    dynamic_batch
        Leave the first axis of the input free (named ``"batch"``), so that the model
        runs on any batch size; False fixes it to the example's.

    Returns
    -------
    onnx.ModelProto
        The model, checked by ``onnx.checker`` (with shape inference).

    Raises
    ------
    UnsupportedModuleError
        A layer without an exporter, named with its place in the model.
    TypeError, ValueError
        An example input that is not a floating array of the parameters' dtype, or an
        opset out of range.
    """
    onnx = _onnx()
    if not isinstance(model, Module):
        raise TypeError(f"export_onnx: model must be an nn.Module, got {type(model).__name__}")
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset_version, bool) or not isinstance(opset_version, int) \
            or not DEFAULT_OPSET <= opset_version <= newest:
        raise ValueError(f"export_onnx: opset_version must be an int from {DEFAULT_OPSET} to "
                         f"{newest} (the newest this onnx package knows), got {opset_version!r}")
    for what, name in (("input_name", input_name), ("output_name", output_name)):
        if not isinstance(name, str) or not name:
            raise TypeError(f"export_onnx: {what} must be a non-empty str, got {name!r}")
    if input_name == output_name:
        raise ValueError(f"export_onnx: input_name and output_name are both {input_name!r}; "
                         f"the graph's input and output need different names")
    x = _example(model, example_input)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with al.no_grad():
            graph = _build(model, x, opset_version, input_name, output_name, dynamic_batch)
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


def _example(model: Module, example_input: Any) -> np.ndarray:
    x = np.asarray(example_input.data if isinstance(example_input, al.Tensor) else example_input)
    if x.dtype.kind != "f":
        raise TypeError(f"export_onnx: example_input must be a floating array, got dtype "
                        f"{x.dtype} (shape {x.shape})")
    dtypes = {t.dtype for t in [*model.parameters(), *model.buffers()] if t.dtype.kind == "f"}
    if dtypes and x.dtype not in dtypes:
        want = " or ".join(sorted(str(d) for d in dtypes))
        raise TypeError(f"export_onnx: example_input has dtype {x.dtype} but the model's "
                        f"parameters are {want}; pass example_input.astype(np.{want.split()[0]}) "
                        f"(the exported graph takes the example's dtype)")
    return x


def _build(model: Module, x: np.ndarray, opset: int, input_name: str, output_name: str,
           dynamic_batch: bool) -> Any:
    if exporter_for(type(model)) is None:  # before the forward pass (ModuleList has none)
        raise UnsupportedModuleError(_unsupported(model, ""))
    ctx = OnnxContext(model, opset, _record(model, x))
    helper = ctx.onnx.helper
    elem = helper.np_dtype_to_tensor_dtype(x.dtype)
    ctx._names.update((input_name, output_name))
    ctx._values[input_name] = x
    y = ctx.export(model, input_name)
    if y == input_name or y in {t.name for t in ctx.initializers}:
        y = ctx.node("Identity", [y])  # a graph output must be some node's output
    for node in ctx.nodes:  # the output gets its name
        node.input[:] = [output_name if i == y else i for i in node.input]
        node.output[:] = [output_name if o == y else o for o in node.output]
    dims: list[Any] = list(x.shape)
    if dynamic_batch and dims:
        dims[0] = "batch"
    inputs = [helper.make_tensor_value_info(input_name, elem, dims)]
    # Its type and shape come from ONNX's shape inference (see export_onnx).
    outputs = [helper.make_tensor_value_info(output_name, 0, None)]
    return helper.make_graph(ctx.nodes, f"{type(model).__name__}", inputs, outputs,
                             ctx.initializers)


_MISSING = object()


def _record(model: Module, x: np.ndarray) -> dict[int, deque[tuple[Any, Any]]]:
    """What every module received (its first argument, as an array) and returned, call
    by call, in one forward pass of ``model`` on ``x``: the values of the graph's
    names, including those that an exporter's own nodes compute between submodules."""
    calls: dict[int, deque[tuple[Any, Any]]] = defaultdict(deque)
    patched = []

    def recording(m: Module, forward: Callable[..., Any]) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            out = forward(*args, **kwargs)
            if args:
                a = args[0]
                calls[id(m)].append((np.asarray(a.data if isinstance(a, al.Tensor) else a), out))
            return out
        return record

    try:
        for m in model.modules():
            patched.append((m, m.__dict__.get("forward", _MISSING)))
            # An instance attribute, which Module.__call__ finds before the method.
            object.__setattr__(m, "forward", recording(m, m.forward))
        model(al.Tensor(x))
    finally:
        for m, old in patched:
            if old is _MISSING:
                object.__delattr__(m, "forward")
            else:
                object.__setattr__(m, "forward", old)
    return calls
