"""``Parameter`` and ``Module`` (the containers are in :mod:`nn.containers`).

A module's parameters and submodules are found by reading its attributes in
insertion order: a :class:`Parameter` or :class:`Module` attribute, or a list,
tuple or dict of them. Nothing has to be registered, and the order is the order
in which the attributes were first assigned. Traversal is iterative (a stack, not
recursion), and every object is reported once however many names reach it, so
tied weights are counted once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, Literal, Mapping, NamedTuple

import numpy as np

import autograd_lite as al

from .module_hooks import HooksMixin
from .utils import grad_array


def aligned_array(shape: int | tuple[int, ...], dtype: Any, fill: Any = None,
                  order: Literal["C", "F"] = "C") -> np.ndarray:
    """A new contiguous array (row-major for ``order="C"``, column-major for ``"F"``)
    that starts on a 64-byte cache line, holding ``fill`` (a number, or values
    broadcast to ``shape``) unless None: the storage layers give their parameters.

    NumPy guarantees only 16 bytes, and a large array usually starts 16 bytes into a
    page. On the 2-core development machine a training step of the MNIST network took
    about 7% longer with its parameters 16 bytes off a line (567-585 against 523-548
    us, in each of five memory layouts): after the forward product has read a weight
    in two BLAS threads, the optimiser's in-place update of it took twice as long
    when it was off a line (100 against 52 us for the 128x784 weight, measured on its
    own). PyTorch aligns CPU tensors to 64 bytes too.
    """
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if order not in ("C", "F"):
        raise ValueError(f"aligned_array: order must be 'C' or 'F', got {order!r}")
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    buf = np.empty(nbytes + 64, np.uint8)
    start = -buf.ctypes.data % 64
    flat = buf[start:start + nbytes].view(dtype)
    # Column-major is the transpose of the row-major array of the reversed shape.
    arr = flat.reshape(shape) if order == "C" else flat.reshape(shape[::-1]).T
    if fill is not None:
        arr[...] = fill
    return arr


def memory_order(a: np.ndarray) -> Literal["C", "F"]:
    """``"F"`` for a column-major array (that is not also row-major), else ``"C"``."""
    return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"


class Parameter(al.Tensor):
    """A Tensor that a :class:`Module` owns and an optimiser updates.

    Parameters
    ----------
    data
        An ndarray, nested list, scalar or Tensor (whose data is shared). Floating
        arrays keep their dtype; anything else becomes the default float dtype.
    requires_grad
        True unless the parameter is frozen.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` skipped with ``strict=False``."""
    missing_keys: list[str]
    unexpected_keys: list[str]


def _members(value: Any, name: str) -> Iterator[tuple[str, Any]]:
    """``(name, obj)`` for a Parameter or Module attribute, or those inside a list/tuple/dict."""
    if isinstance(value, (Parameter, Module)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if isinstance(v, (Parameter, Module)):
                yield f"{name}.{i}", v
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (Parameter, Module)):
                yield f"{name}.{k}", v


class Module(HooksMixin):
    """Base class of every layer and model.

    Subclasses set their parameters and submodules as attributes in ``__init__``
    and implement :meth:`forward`; calling the module runs ``forward`` inside
    ``al.scope(self)`` so that graph nodes know which module made them.
    """

    training: bool = True  # a class default, so a subclass that skips __init__ still works

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:  # as in PyTorch; and ReLU(1) is refused by its own name
            got = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
            raise TypeError(f"{type(self).__name__}: takes no arguments, got {', '.join(got)}")
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._hooked:  # a class attribute until a hook is registered on this module
            return self._call_hooked(args, kwargs)
        # ``with al.scope(self)``, in the form that costs least on every call
        token = al.enter_scope(self)
        try:  # no ``**kwargs`` when there are none: unpacking even an empty dict costs
            return self.forward(*args, **kwargs) if kwargs else self.forward(*args)
        finally:
            al.exit_scope(token)

    # ---- registration (optional: plain attribute assignment is enough) ------
    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Attach non-trainable state (e.g. running statistics) that ``state_dict``
        saves when ``persistent``. ``tensor`` may be None (nothing saved)."""
        if tensor is not None and not isinstance(tensor, al.Tensor):
            tensor = al.Tensor(np.asarray(tensor), dtype=np.asarray(tensor).dtype)
        if isinstance(tensor, Parameter):
            raise TypeError(f"{type(self).__name__}.register_buffer: {name!r} is a Parameter; "
                            f"assign it as an attribute instead")
        self.__dict__.setdefault("_buffer_names", {})[name] = persistent
        setattr(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Same as ``setattr(self, name, param)``, checking that it is a Parameter."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: {name!r} must be a "
                            f"Parameter or None, got {type(param).__name__}")
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Same as ``setattr(self, name, module)``, checking that it is a Module."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} must be a Module or "
                            f"None, got {type(module).__name__}")
        setattr(self, name, module)

    # ---- traversal ----------------------------------------------------------
    def _local_members(self) -> Iterator[tuple[str, Any]]:
        """Direct Parameters and Modules in attribute order (containers override this)."""
        for name, value in list(self.__dict__.items()):
            yield from _members(value, name)

    def _local_buffers(self, persistent_only: bool = False) -> Iterator[tuple[str, al.Tensor]]:
        for name, persistent in self.__dict__.get("_buffer_names", {}).items():
            value = self.__dict__.get(name)
            if value is not None and (persistent or not persistent_only):
                yield name, value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules, each once, in attribute order."""
        seen: set[int] = set()
        for name, m in self._local_members():
            if isinstance(m, Module) and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first, each once (by identity).

        Iterative, so a model nested thousands of levels deep needs no recursion.
        """
        seen: set[int] = set() if memo is None else memo
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if remove_duplicate:
                if id(m) in seen:
                    continue
                seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m._local_members()
                    if isinstance(c, Module)]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name: the module's own first, then each
        submodule's (depth first, attribute order), as in PyTorch. A parameter
        reachable by two names (tied weights) is reported once, under the first."""
        seen: set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for mname, m in mods:
            for pname, p in m._local_members():
                if not isinstance(p, Parameter):
                    continue
                if remove_duplicate:
                    if id(p) in seen:
                        continue
                    seen.add(id(p))
                yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, al.Tensor]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for mname, m in mods:
            for bname, b in m._local_buffers():
                if id(b) not in seen:
                    seen.add(id(b))
                    yield (f"{mname}.{bname}" if mname else bname), b

    def buffers(self, recurse: bool = True) -> Iterator[al.Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule, each child's subtree before its parent,
        and last on this module (e.g. ``model.apply(init_weights)``); returns self.

        As in PyTorch, a module shared by two parents is visited under each. Iterative,
        like the traversal; a module that contains itself raises ``ValueError``.
        """
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}.apply: fn must be callable, got a "
                            f"{type(fn).__name__}")
        stack: list[tuple[Module, bool]] = [(self, False)]
        path: set[int] = set()  # the modules from self down to the one being opened
        while stack:
            m, children_done = stack.pop()
            if children_done:
                path.discard(id(m))
                fn(m)
                continue
            if id(m) in path:
                raise ValueError(f"apply: Module contains itself: a {type(m).__name__} is its "
                                 f"own descendant")
            path.add(id(m))
            stack.append((m, True))
            stack.extend((c, False) for c in reversed(list(m.children())))
        return self

    # ---- modes and gradients ------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on every submodule."""
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be a bool, got "
                            f"{type(mode).__name__}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout off, batch norm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient (to None, or to zeros in place)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(grad_array(p))

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, dtype: Any) -> Module:
        """Cast every parameter and floating buffer to ``dtype`` (in place; the
        Parameter objects stay the same, so optimisers built before still hold them)."""
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: expected a floating dtype, got {dt}")
        for t in [*self.parameters(), *self.buffers()]:
            if t.dtype.kind == "f" and t.dtype != dt:
                # On a cache line and in the memory order of the old storage.
                t.data = aligned_array(t.shape, dt, t.data, memory_order(t.data))
                t.grad = None
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ---- state --------------------------------------------------------------
    def _state_items(self) -> Iterator[tuple[str, al.Tensor]]:
        seen: set[int] = set()
        for mname, m in self.named_modules():
            local = [(n, p) for n, p in m._local_members() if isinstance(p, Parameter)]
            for name, t in local + list(m._local_buffers(persistent_only=True)):
                if id(t) not in seen:
                    seen.add(id(t))
                    yield (f"{mname}.{name}" if mname else name), t

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter and persistent buffer by dotted name, as *copies*
        (so a state saved as "best so far" does not change as training continues)."""
        return OrderedDict((name, t.data.copy()) for name, t in self._state_items())

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers, in place.

        Every name, shape and dtype is checked before anything is copied; all the
        problems found are reported together in one ``RuntimeError``. Shape and
        dtype mismatches always raise; missing and unexpected keys raise only when
        ``strict`` (otherwise they are returned).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a mapping of "
                            f"name -> array, got {type(state_dict).__name__}")
        own = dict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched, pairs = [], []
        for name, t in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            arr = value.data if isinstance(value, al.Tensor) else np.asarray(value)
            if arr.shape != t.shape or arr.dtype != t.dtype:
                mismatched.append(f"{name}: expected shape {t.shape} dtype {t.dtype}, "
                                  f"got shape {arr.shape} dtype {arr.dtype}")
            else:
                pairs.append((t, arr))
        if mismatched or (strict and (missing or unexpected)):
            lines = [f"{type(self).__name__}.load_state_dict: the state does not match the model"]
            if mismatched:
                lines.append("  mismatched: " + "; ".join(mismatched))
            if missing:
                lines.append("  missing keys: " + ", ".join(missing))
            if unexpected:
                lines.append("  unexpected keys: " + ", ".join(unexpected))
            raise RuntimeError("\n".join(lines))
        with al.no_grad():
            for t, arr in pairs:
                t.copy_(arr)
        return IncompatibleKeys(missing, unexpected)

    # ---- repr ---------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses (its configuration)."""
        return ""

    def __repr__(self) -> str:
        # Iterative, like the traversal: a stack of lines still to open or close.
        lines: list[str] = []
        stack: list[tuple[str, Any, int]] = [("", self, 0)]
        while stack:
            label, m, depth = stack.pop()
            pad = "  " * depth
            if m is None:  # a closing parenthesis
                lines.append(pad + ")")
                continue
            extra, kids = m.extra_repr(), list(m.named_children())
            if not kids:
                lines.append(f"{pad}{label}{type(m).__name__}({extra})")
                continue
            lines.append(f"{pad}{label}{type(m).__name__}(")
            if extra:
                lines.append(f"{pad}  {extra}")
            stack.append(("", None, depth))
            stack.extend((f"({k}): ", c, depth + 1) for k, c in reversed(kids))
        return "\n".join(lines)
