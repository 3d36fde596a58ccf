"""The containers ``Sequential``, ``ModuleList`` and ``ModuleDict``.

Each keeps its modules in its own dict or list and reports them through
``_local_members``, so :class:`~nn.module.Module`'s traversal, ``parameters`` and
``state_dict`` see them under their names ('0', '1', ... or the chosen keys).
"""

from __future__ import annotations

from collections import OrderedDict, abc
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from .module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _positional(name: str) -> bool:
    """A name like '3', which follows its entry's position when the sequence changes."""
    return name.isascii() and name.isdigit()


class _EntryAttributes:
    """Attribute access to a container's named entries, as PyTorch gives through
    ``_modules``: ``seq.fc`` reads the entry 'fc', ``seq.fc = m`` replaces it in
    place, ``del seq.fc`` removes it, and a Module assigned to a new name becomes a
    new entry. Real attributes (``training``, methods) take precedence."""

    _store: str = ""  # the attribute holding the name -> Module dict

    def _entries(self, name: str) -> dict[str, Any] | None:
        entries = self.__dict__.get(self._store)
        if entries is None or name in self.__dict__ or hasattr(type(self), name):
            return None
        return entries

    def __getattr__(self, name: str) -> Any:  # only called when normal lookup fails
        entries = self.__dict__.get(self._store)
        if entries is not None and name in entries:
            return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        entries = self._entries(name)
        if entries is not None and (name in entries or isinstance(value, Module)):
            self._set_entry(name, value)
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        entries = self._entries(name)
        if entries is not None and name in entries:
            del entries[name]
        else:
            object.__delattr__(self, name)

    def _set_entry(self, name: str, value: Any) -> None:
        raise NotImplementedError


class Sequential(_EntryAttributes, Module):
    """Modules applied in order: ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1))``.

    Indexable (an int gives a module, a slice a new ``Sequential``), iterable and
    sized, and edited as in PyTorch (``seq[i] = m``, ``del seq[i]``, ``append``,
    ``insert``, ``extend``, ``pop``, ``+``). Also accepts one ordered dict of
    ``name -> module``, whose entries are then attributes too (``seq.fc``).
    Positional names ('0', '1', ...) follow their modules when entries are inserted
    or deleted; chosen names stay.
    """

    _store = "_items"

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        self._items: dict[str, Module] = {}
        for name, m in items:
            self._add(name, m)

    def _add(self, name: str, m: Any) -> None:
        if not isinstance(m, Module):
            raise TypeError(f"{type(self).__name__}: every entry must be a Module; {name!r} is "
                            f"a {type(m).__name__}")
        self._items[name] = m

    def _set_entry(self, name: str, value: Any) -> None:
        if not isinstance(value, Module):
            raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} to "
                            f"{name!r}; expected a Module (or del it)")
        self._items[name] = value

    def _local_members(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self._items.items()))

    def _index(self, idx: Any) -> int:
        """``idx`` as a position in 0..len-1 (negative counts from the end)."""
        n = len(self._items)
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: indices must be ints or slices, got "
                            f"{type(idx).__name__}")
        if not -n <= idx < n:
            raise IndexError(f"{type(self).__name__}: index {idx!r} is out of range for {n} "
                             f"modules")
        return int(idx) % n

    def _rebuild(self, pairs: list[tuple[str | None, Module]]) -> None:
        """Set the entries to ``pairs`` in order; positional (and None) names become
        their positions."""
        self._items = {(str(i) if k is None or _positional(k) else k): m
                       for i, (k, m) in enumerate(pairs)}

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        n = len(self._items)
        while str(n) in self._items:  # a slice keeps its names, so len() may be taken
            n += 1
        self._add(str(n), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index`` (as ``list.insert``, within
        -len..len); returns self."""
        n = len(self._items)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                or not -n <= index <= n:
            raise IndexError(f"{type(self).__name__}.insert: index {index!r} is out of range "
                             f"for {n} modules")
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.insert: expected a Module, got a "
                            f"{type(module).__name__}")
        pairs: list[tuple[str | None, Module]] = list(self._items.items())
        pairs.insert(int(index) + n if index < 0 else int(index), (None, module))
        self._rebuild(pairs)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Append every module of ``modules`` (a Sequential or any iterable); returns self."""
        if not isinstance(modules, abc.Iterable):
            raise TypeError(f"Sequential.extend: expected an iterable of Modules, got "
                            f"{type(modules).__name__}")
        for m in list(modules):
            self.append(m)
        return self

    def pop(self, key: int | slice) -> Any:
        """Remove and return the module (or ``Sequential`` of modules) at ``key``."""
        v = self[key]
        del self[key]
        return v

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            names = list(self._items)[idx]
            return Sequential(OrderedDict((n, self._items[n]) for n in names))
        return list(self._items.values())[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self._add(list(self._items)[self._index(idx)], module)

    def __delitem__(self, idx: int | slice) -> None:
        names = list(self._items)
        drop = set(names[idx]) if isinstance(idx, slice) else {names[self._index(idx)]}
        self._rebuild([(k, m) for k, m in self._items.items() if k not in drop])

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential: can only add a Sequential, got a {type(other).__name__}")
        return Sequential().extend(self).extend(other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential: can only add a Sequential, got a {type(other).__name__}")
        return self.extend(other)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._items.values()))

    def forward(self, x: Any) -> Any:
        for m in self._items.values():
            x = m(x)
        return x


class ModuleList(Module):
    """A list of modules whose parameters the parent module finds.

    Holds no forward of its own: index or iterate it inside your ``forward``.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self._list: list[Module] = []
        if modules is not None:
            self.extend(modules)

    @staticmethod
    def _check(m: Any) -> Module:
        if not isinstance(m, Module):
            raise TypeError(f"ModuleList: every entry must be a Module, got {type(m).__name__}")
        return m

    def _local_members(self) -> Iterator[tuple[str, Any]]:
        return iter([(str(i), m) for i, m in enumerate(self._list)])

    def _index(self, idx: Any) -> int:
        n = len(self._list)
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"ModuleList: indices must be ints or slices, got {type(idx).__name__}")
        if not -n <= idx < n:
            raise IndexError(f"ModuleList: index {idx!r} is out of range for {n} modules")
        return int(idx)

    def append(self, module: Module) -> ModuleList:
        self._list.append(self._check(module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if not isinstance(modules, abc.Iterable):
            raise TypeError(f"ModuleList: expected an iterable of Modules, got {type(modules).__name__}")
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        self._list.insert(index, self._check(module))

    def pop(self, key: int | slice) -> Any:
        """Remove and return the module (or ``ModuleList``) at ``key``."""
        v = self[key]
        del self[key]
        return v

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return ModuleList(self._list[idx])
        return self._list[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self._list[self._index(idx)] = self._check(module)

    def __delitem__(self, idx: int | slice) -> None:
        del self._list[idx if isinstance(idx, slice) else self._index(idx)]

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList(self._list).extend(other)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __len__(self) -> int:
        return len(self._list)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._list))


class ModuleDict(_EntryAttributes, Module):
    """An ordered ``str -> Module`` mapping whose parameters the parent module finds;
    its entries are attributes too (``heads.cls``), as in PyTorch."""

    _store = "_dict"

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        self._dict: dict[str, Module] = {}
        if modules is not None:
            self.update(modules)

    def _local_members(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self._dict.items()))

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        items = modules.items() if isinstance(modules, Mapping) else modules
        for k, m in items:
            self[k] = m

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be str, got {type(key).__name__}")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {key!r} must be a Module, got {type(module).__name__}")
        self._dict[key] = module

    def __getitem__(self, key: str) -> Module:
        try:
            return self._dict[key]
        except KeyError:
            raise KeyError(f"ModuleDict: no module named {key!r}; have {list(self._dict)}") from None

    def _set_entry(self, name: str, value: Any) -> None:
        self[name] = value

    def __delitem__(self, key: str) -> None:
        self[key]  # a KeyError naming what there is
        del self._dict[key]

    def pop(self, key: str) -> Module:
        """Remove and return the module named ``key``."""
        v = self[key]
        del self._dict[key]
        return v

    def clear(self) -> None:
        """Remove every entry."""
        self._dict.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __len__(self) -> int:
        return len(self._dict)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._dict))

    def keys(self) -> Any:
        return self._dict.keys()

    def values(self) -> Any:
        return self._dict.values()

    def items(self) -> Any:
        return self._dict.items()
