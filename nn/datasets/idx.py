"""The IDX file format of MNIST and Fashion-MNIST: reading and checking it.

An IDX file is a 4-byte magic number ``0x0000TTNN`` (TT: element type code, NN: number
of dimensions), NN big-endian 4-byte dimension sizes, then the elements in C order,
multi-byte types big-endian. Any malformation raises :class:`DatasetError` naming the
file, what was expected and what was found.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["DatasetError", "read_idx"]


class DatasetError(ValueError):
    """A dataset file is missing, unreadable, malformed or fails verification.

    The message always names the file (or URL) concerned and states what was expected
    and what was found.
    """



# IDX type byte -> element type; multi-byte types are big-endian on disk.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


# --------------------------------------------------------------------------- IDX parsing


def _decompress(raw: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        # BadGzipFile (an OSError) covers bad magic and CRC/length mismatches, EOFError a
        # truncated stream, zlib.error a damaged deflate stream.
        raise DatasetError(
            f"{source}: corrupt gzip data: expected a complete gzip stream, "
            f"found {type(exc).__name__}: {exc}"
        ) from exc


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read file: {exc.strerror or exc}") from exc


def _parse_idx(
    payload: bytes,
    source: str,
    *,
    expected_ndim: int | None = None,
    expected_dtype: np.dtype[Any] | None = None,
) -> NDArray[Any]:
    if len(payload) < 4:
        raise DatasetError(
            f"{source}: too short for an IDX header: expected at least 4 bytes, "
            f"found {len(payload)}"
        )
    magic = int.from_bytes(payload[:4], "big")
    zero, type_byte, ndim = int.from_bytes(payload[:2], "big"), payload[2], payload[3]
    if expected_ndim is not None and expected_dtype is not None:
        want = f"0x0000{_dtype_code(expected_dtype):02X}{expected_ndim:02X}"
    else:
        want = "0x0000TTNN (TT = IDX type code, NN = number of dimensions)"
    if zero != 0 or type_byte not in _IDX_DTYPES:
        raise DatasetError(
            f"{source}: bad IDX magic number: expected {want}, found 0x{magic:08X}"
        )
    dtype = _IDX_DTYPES[type_byte]
    if expected_dtype is not None and dtype != expected_dtype:
        raise DatasetError(
            f"{source}: wrong IDX element type: expected {expected_dtype} "
            f"(magic {want}), found {dtype.newbyteorder('=').name} (magic 0x{magic:08X})"
        )
    if expected_ndim is not None and ndim != expected_ndim:
        raise DatasetError(
            f"{source}: wrong number of dimensions: expected {expected_ndim} "
            f"(magic {want}), found {ndim} (magic 0x{magic:08X})"
        )
    header = 4 + 4 * ndim
    if len(payload) < header:
        raise DatasetError(
            f"{source}: truncated IDX header: expected {header} bytes for {ndim} "
            f"dimension sizes, found {len(payload)}"
        )
    shape = tuple(int.from_bytes(payload[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = 1
    for d in shape:
        count *= d
    expected = header + count * dtype.itemsize
    if len(payload) != expected:
        kind = "truncated payload" if len(payload) < expected else "trailing bytes after payload"
        raise DatasetError(
            f"{source}: {kind}: dimensions {shape} need {expected} bytes "
            f"({header} header + {count * dtype.itemsize} data), found {len(payload)}"
        )
    array = np.frombuffer(payload, dtype=dtype, count=count, offset=header).reshape(shape)
    # frombuffer gives a read-only view of immutable bytes; callers expect an ordinary
    # writable, native-endian array.
    return array.astype(dtype.newbyteorder("="), copy=True)


def _dtype_code(dtype: np.dtype[Any]) -> int:
    for code, dt in _IDX_DTYPES.items():
        if dt == dtype:
            return code
    raise ValueError(f"no IDX type code for {dtype}")


def read_idx(file: str | os.PathLike[str]) -> NDArray[Any]:
    """Read one IDX file (raw, or gzip-compressed if the name ends in ``.gz``).

    Parameters
    ----------
    file : str or path-like
        The file to read.

    Returns
    -------
    numpy.ndarray
        A writable, native-endian array with the shape and element type the header
        declares.

    Raises
    ------
    DatasetError
        If the file cannot be read, the gzip stream is corrupt, the magic number is not a
        valid IDX one, or the payload size does not match the declared dimensions.
    """
    if not isinstance(file, (str, os.PathLike)):
        raise TypeError(f"read_idx: file must be a path, got {type(file).__name__}")
    path = Path(file)
    raw = _read_file(path)
    payload = _decompress(raw, str(path)) if path.suffix == ".gz" else raw
    return _parse_idx(payload, str(path))

