"""Module hooks with PyTorch's names and semantics: forward pre-hooks, forward hooks and
full backward hooks. :class:`~nn.Module` inherits them from :class:`HooksMixin`; a call
of a module without hooks takes the plain path (one attribute test).

A full backward hook needs the gradients of all of a call's inputs at once, and of all its
outputs. The call's tensor inputs that require grad are packed into one flat tensor and
cut back into pieces that the module's ``forward`` receives (the outputs likewise, after
the forward hooks), so the packed tensor's gradient is complete when backward reaches it:
a tensor hook there sees ``grad_input`` whole, and may replace it.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import autograd_lite as al

__all__ = ["HooksMixin"]


def _is_tensor(a: Any) -> bool:
    return isinstance(a, al.Tensor)


def _pack(tensors: list[al.Tensor]) -> tuple[al.Tensor, list[al.Tensor]]:
    """One flat tensor holding ``tensors``, and its pieces shaped (and typed) as they were."""
    flat = al.concatenate([t.reshape(-1) for t in tensors])
    pieces, start = [], 0
    for t in tensors:
        p = flat[start:start + t.size].reshape(t.shape)
        pieces.append(p if p.dtype == t.dtype else p.astype(t.dtype))
        start += t.size
    return flat, pieces


def _split(g: Any, tensors: list[Any]) -> list[Any]:
    """The gradient of a packed tensor, cut into one piece per packed tensor."""
    out, start = [], 0
    for t in tensors:
        out.append(g[start:start + t.size].reshape(t.shape))
        start += t.size
    return out


def _join(pieces: list[Any], like: Any) -> Any:
    """Pieces back into one flat gradient of ``like``'s kind (ndarray, or Tensor)."""
    if isinstance(like, al.Tensor):
        return al.concatenate([(p if _is_tensor(p) else al.Tensor(np.asarray(p))).reshape(-1)
                               .astype(like.dtype) for p in pieces])
    return np.concatenate([np.asarray(getattr(p, "data", p)).reshape(-1) for p in pieces]
                          ).astype(like.dtype, copy=False)


class _BackwardCall:
    """One call of a module with full backward hooks: collects ``grad_output`` when backward
    reaches the packed outputs and calls the hooks when it reaches the packed inputs."""

    def __init__(self, module: Any, args: tuple) -> None:
        self.module = module
        self.args = args
        # The positional arguments that get a gradient: tensors that require grad.
        self.grad_pos = [i for i, a in enumerate(args) if _is_tensor(a) and a.requires_grad]
        self.grad_output: tuple | None = None
        self.outputs: list[al.Tensor] = []

    def wrap_inputs(self, args: tuple) -> tuple:
        if not self.grad_pos:
            return args
        ins = [self.args[i] for i in self.grad_pos]
        flat, pieces = _pack(ins)
        flat.register_hook(self._on_grad_input)
        swap = {id(t): p for t, p in zip(ins, pieces)}
        return tuple(swap.get(id(a), a) if _is_tensor(a) else a for a in args)

    def wrap_outputs(self, out: Any) -> Any:
        many = isinstance(out, (tuple, list))
        outs = list(out) if many else [out]
        grads = [o for o in outs if _is_tensor(o) and o.requires_grad]
        if not grads:
            return out
        flat, pieces = _pack(grads)
        flat.register_hook(self._on_grad_output)
        self.outputs = grads
        swap = {id(t): p for t, p in zip(grads, pieces)}
        new = [swap.get(id(o), o) if _is_tensor(o) else o for o in outs]
        return type(out)(new) if many else new[0]

    def _on_grad_output(self, g: Any) -> None:
        self.grad_output = tuple(_split(g, self.outputs))
        if not self.grad_pos:  # no input gets a gradient: the hooks fire now, as in PyTorch
            self._call_hooks((None,) * len(self.args))

    def _on_grad_input(self, g: Any) -> Any:
        ins = [self.args[i] for i in self.grad_pos]
        grad_input: list[Any] = [None] * len(self.args)
        for i, piece in zip(self.grad_pos, _split(g, ins)):
            grad_input[i] = piece
        new = self._call_hooks(tuple(grad_input))
        if new is None:
            return None
        pieces = [np.zeros(a.shape, a.dtype) if new[i] is None else new[i]
                  for i, a in zip(self.grad_pos, ins)]
        return _join(pieces, g)

    def _call_hooks(self, grad_input: tuple) -> tuple | None:
        changed = None
        name = type(self.module).__name__
        for fn in tuple(self.module._backward_hooks):
            r = fn(self.module, grad_input, self.grad_output)
            if r is None:
                continue
            r = tuple(r) if isinstance(r, (tuple, list)) else (r,)
            if len(r) != len(grad_input):
                raise ValueError(f"{name} full backward hook returned {len(r)} gradients; "
                                 f"expected {len(grad_input)}, one per positional argument")
            for old, new in zip(grad_input, r):
                if new is not None and (old is None or tuple(np.shape(new)) != old.shape):
                    raise ValueError(f"{name} full backward hook: a returned gradient has shape "
                                     f"{np.shape(new)}; expected "
                                     f"{None if old is None else old.shape}")
            grad_input = changed = r
        return changed


class HooksMixin:
    """``register_forward_pre_hook``, ``register_forward_hook`` and
    ``register_full_backward_hook`` for :class:`~nn.Module`."""

    _hooked = False  # set on an instance by its first hook: its calls go through _call_hooked

    def _hook_list(self, name: str) -> list:
        self._hooked = True
        return self.__dict__.setdefault(name, [])

    def _add_hook(self, name: str, entry: Any, prepend: bool) -> al.hooks.RemovableHandle:
        hook = entry[0] if isinstance(entry, tuple) else entry
        if not callable(hook):
            method = {"_backward_hooks": "register_full_backward_hook"}.get(
                name, "register_" + name.strip("_")[:-1])  # the method the user called
            raise TypeError(f"{type(self).__name__}.{method}: the hook must be callable, got "
                            f"{type(hook).__name__}")
        hooks = self._hook_list(name)
        hooks.insert(0, entry) if prepend else hooks.append(entry)
        return al.hooks.RemovableHandle(hooks, entry)

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> al.hooks.RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``; a returned value (a tuple,
        or one value that becomes a 1-tuple) replaces the positional arguments. With
        ``with_kwargs=True``: ``hook(module, args, kwargs)`` returning ``(args, kwargs)``.
        Hooks run in registration order (``prepend=True``: first). ``remove()`` undoes."""
        return self._add_hook("_forward_pre_hooks", (hook, with_kwargs), prepend)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False) -> al.hooks.RemovableHandle:
        """Call ``hook(module, args, output)`` after every ``forward`` (``args`` as forward got
        them); a returned value replaces the output. With ``with_kwargs=True``:
        ``hook(module, args, kwargs, output)``. ``remove()`` on the handle undoes it."""
        return self._add_hook("_forward_hooks", (hook, with_kwargs), prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any],
                                    prepend: bool = False) -> al.hooks.RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when backward has computed the
        gradients of a call's inputs: ``grad_input`` has one entry per positional argument
        (None for a non-tensor or a tensor that needs no gradient; PyTorch gives zeros for
        the latter when another input requires grad), ``grad_output`` one per output tensor
        that requires grad; each is an ndarray (a Tensor under ``create_graph=True``).
        A returned tuple replaces ``grad_input``. ``remove()`` on the handle undoes it."""
        return self._add_hook("_backward_hooks", hook, prepend)

    def _call_hooked(self, args: tuple, kwargs: dict) -> Any:
        for fn, with_kwargs in tuple(self.__dict__.get("_forward_pre_hooks", ())):
            if with_kwargs:
                r = fn(self, args, kwargs)
                if r is not None:
                    if not (isinstance(r, tuple) and len(r) == 2):
                        raise TypeError(f"{type(self).__name__} forward pre-hook with kwargs "
                                        f"must return None or (args, kwargs), got {r!r}")
                    args, kwargs = r
            else:
                r = fn(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        call = None
        if self.__dict__.get("_backward_hooks") and al.is_grad_enabled():
            call = _BackwardCall(self, args)
            args = call.wrap_inputs(args)
        token = al.enter_scope(self)
        try:
            out = self.forward(*args, **kwargs)  # type: ignore[attr-defined]
        finally:
            al.exit_scope(token)
        for fn, with_kwargs in tuple(self.__dict__.get("_forward_hooks", ())):
            r = fn(self, args, kwargs, out) if with_kwargs else fn(self, args, out)
            if r is not None:
                out = r
        return out if call is None else call.wrap_outputs(out)
