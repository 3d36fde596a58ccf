"""The ``.safetensors`` side of :func:`nn.save` and :func:`nn.load`.

safetensors (Hugging Face's format, read by PyTorch, JAX, TensorFlow and others) is a
JSON header of tensor names, dtypes, shapes and offsets, then the raw bytes; string
metadata rides in the header, and reading it never runs code. ``nn.save`` puts the
checkpoint's structure (the JSON document a ``.npz`` keeps under ``__meta__``) in the
metadata under ``autograd_lite``, and a CRC-32 of that document and of every tensor's
bytes under ``autograd_lite.crc32``: the library checks that the header's offsets and
sizes add up, but not the bytes themselves, and the checksums do.

A file without that metadata (written by ``safetensors.torch.save_file``, say) loads
as a flat dict of arrays, checked by the library only.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["SUFFIX", "is_safetensors", "wants_safetensors", "serialize", "read"]

SUFFIX = ".safetensors"
META_KEY = "autograd_lite"
CRC_KEY = "autograd_lite.crc32"
_META_CRC = "__meta__"  # never an array name: nn.save's encoder avoids it
_HEADER_LIMIT = 100_000_000  # the library refuses longer headers
# What the format can hold that NumPy has a dtype for (not bfloat16, float8, complex128).
STORABLE = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
            "float16", "float32", "float64", "complex64")


def _library() -> ModuleType:
    try:
        import safetensors
        import safetensors.numpy  # noqa: F401  (the NumPy API is what is used)
    except ImportError as e:
        raise ImportError("nn: .safetensors checkpoints need the safetensors package: pip install "
                          "'autograd-lite[safetensors]' (or pip install safetensors), or save "
                          "to a .npz path instead") from e
    return safetensors


def wants_safetensors(path: str | os.PathLike) -> bool:
    """Whether ``nn.save`` writes ``path`` as safetensors: its suffix is ``.safetensors``."""
    return Path(path).suffix.lower() == SUFFIX


def is_safetensors(path: str | os.PathLike, head: bytes) -> bool:
    """Whether ``nn.load`` reads the file at ``path``, which starts with ``head`` (9 bytes
    or fewer), as safetensors: by its suffix, or by its start (an 8-byte little-endian
    header length, then the header's opening brace)."""
    if wants_safetensors(path):
        return True
    if len(head) < 9:
        return False
    return 2 <= int.from_bytes(head[:8], "little") <= _HEADER_LIMIT and head[8:9] == b"{"


def _crc(a: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(a).reshape(-1).view(np.uint8))


def _native(tree: Any, keys: set[str]) -> None:
    """Record in ``tree`` (nn.save's JSON structure) that the arrays ``keys`` come back
    little-endian, as the format stores every array."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("array") in keys:
                node["dtype"] = np.dtype(node["dtype"]).newbyteorder("<").str
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def serialize(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """The bytes of a safetensors file holding ``arrays`` and the JSON document ``meta``
    (whose ``"tree"`` describes the arrays), with their checksums. TypeError for an
    array of a dtype the format cannot hold, naming it."""
    library = _library()
    out, swapped = {}, set()
    for key, a in arrays.items():
        if a.dtype.newbyteorder("=").name not in STORABLE:
            raise TypeError(f"save: {key!r} is an array of dtype {a.dtype}, which a .safetensors "
                            f"file cannot hold (it holds {', '.join(STORABLE)}); save to a .npz "
                            f"path to keep it as it is")
        if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and not np.little_endian):
            swapped.add(key)
            a = a.astype(a.dtype.newbyteorder("<"))
        # The library writes the array's memory as it lies: a column-major array (such
        # as TwoLayerNet's fc1.weight) would come back transposed. (Not ascontiguousarray,
        # which turns a 0-d array into a 1-d one.)
        out[key] = np.array(a, order="C", copy=None)
    _native(meta.get("tree"), swapped)
    text = json.dumps(meta)
    crcs = {_META_CRC: zlib.crc32(text.encode("utf-8")), **{k: _crc(a) for k, a in out.items()}}
    metadata = {META_KEY: text, CRC_KEY: json.dumps(crcs)}
    return library.numpy.save(out, metadata=metadata)


def read(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """The arrays in the safetensors file ``path`` and nn.save's JSON document (None for
    a file written by something else). ValueError, saying what is wrong, for a file
    that is not valid or fails a checksum."""
    library = _library()
    try:
        with library.safe_open(os.fspath(path), framework="np") as f:
            metadata = f.metadata() or {}
            arrays = {}
            for key in f.keys():
                try:
                    a = f.get_tensor(key)
                    # bfloat16 and float8 exist in NumPy only once ml_dtypes (which onnx
                    # imports) has registered them: refused either way, the same way.
                    if a.dtype.name not in STORABLE:
                        raise TypeError(f"data type {a.dtype.name!r} is not a NumPy one")
                except TypeError as e:
                    raise ValueError(f"tensor {key!r} has a dtype NumPy cannot hold ({e}); "
                                     f"convert it to float32 before saving it") from None
                arrays[key] = a
    except library.SafetensorError as e:
        raise ValueError(f"it is not a valid .safetensors file: {e}") from None
    ours = [k for k in (META_KEY, CRC_KEY) if k in metadata]
    if not ours:
        return arrays, None
    if len(ours) == 1:
        raise ValueError(f"its metadata has {ours[0]!r} but not "
                         f"{({META_KEY, CRC_KEY} - set(ours)).pop()!r}")
    text = metadata[META_KEY]
    try:
        crcs = json.loads(metadata[CRC_KEY])
    except json.JSONDecodeError as e:
        raise ValueError(f"its checksums are not valid JSON: {e}") from None
    if not isinstance(crcs, dict):
        raise ValueError("its checksums are not a JSON object")
    if crcs.get(_META_CRC) != zlib.crc32(text.encode("utf-8")):
        raise ValueError("its metadata fails its CRC-32 check (the file is damaged)")
    for key, a in arrays.items():
        if key not in crcs:
            raise ValueError(f"it holds a tensor {key!r} that has no checksum")
        if crcs[key] != _crc(a):
            raise ValueError(f"tensor {key!r} fails its CRC-32 check (the file is damaged)")
    missing = sorted(set(crcs) - set(arrays) - {_META_CRC})
    if missing:
        raise ValueError(f"it lacks the tensors {missing} that its checksums list")
    try:
        return arrays, json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"its metadata is not valid JSON: {e}") from None
