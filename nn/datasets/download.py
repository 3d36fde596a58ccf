"""Downloading dataset files: mirrors, checksums and a progress bar.

Each file is written under a temporary name and gets its final name only once it is
complete and verified, so an interrupted download or a bad mirror never leaves a file
that a later load would pick up. ``tqdm`` draws the progress bar when it is installed.
"""

from __future__ import annotations

import hashlib
import http.client
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._atomic import atomic_write, make_dirs, remove_empty
from .idx import DatasetError, _decompress, _parse_idx

__all__ = ["Checksum"]


@dataclass(frozen=True)
class Checksum:
    """An expected digest for one dataset file.

    Parameters
    ----------
    digest : str
        Hex digest (case-insensitive).
    algorithm : str, default "sha256"
        Any name accepted by :func:`hashlib.new`.
    compressed : bool, default False
        ``False``: the digest is of the decompressed IDX payload, so it holds whether the
        file is stored raw or was gzip-compressed with any settings.
        ``True``: the digest is of the ``.gz`` file exactly as distributed; a raw file
        then cannot be verified and a warning is issued instead.
    """

    digest: str
    algorithm: str = "sha256"
    compressed: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.digest, str):
            raise TypeError(f"Checksum: digest must be a str of hex digits, got "
                            f"{type(self.digest).__name__}")
        try:
            hashlib.new(self.algorithm)
        except (ValueError, TypeError):
            raise ValueError(f"Checksum: unknown hash algorithm {self.algorithm!r}") from None
        digest = self.digest.strip().lower()
        if not digest or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"Checksum: digest must be hexadecimal, got {self.digest!r}")
        object.__setattr__(self, "digest", digest)


# ------------------------------------------------------------------------- verification


def _as_checksum(value: str | Checksum) -> Checksum:
    return value if isinstance(value, Checksum) else Checksum(value)


def _verify(raw: bytes, payload: bytes, is_gz: bool, checksum: Checksum, source: str) -> None:
    if checksum.compressed:
        if not is_gz:
            warnings.warn(
                f"{source}: not verified: the expected {checksum.algorithm} digest is of "
                "the distributed .gz file, but this copy is stored uncompressed; only its "
                "format was checked",
                stacklevel=4,
            )
            return
        data, what = raw, "compressed file"
    else:
        data, what = payload, "decompressed payload"
    found = hashlib.new(checksum.algorithm, data).hexdigest()
    if found != checksum.digest:
        hint = (
            " (this digest is of the .gz file as distributed; a re-compressed copy fails it"
            " even if its content is right: pass checksums=None to check only the format)"
            if checksum.compressed
            else ""
        )
        raise DatasetError(
            f"{source}: checksum mismatch: expected {checksum.algorithm} {checksum.digest} "
            f"of the {what}, found {found}{hint}"
        )


def _load_idx_file(
    raw: bytes,
    is_gz: bool,
    source: str,
    stem: str,
    checksum: Checksum | None,
) -> NDArray[Any]:
    payload = _decompress(raw, source) if is_gz else raw
    ndim = 3 if "images" in stem else 1
    array = _parse_idx(payload, source, expected_ndim=ndim, expected_dtype=np.dtype(np.uint8))
    if checksum is not None:
        _verify(raw, payload, is_gz, checksum, source)
    return array



# -------------------------------------------------------------------------- downloading


class _PlainProgress:
    """Fallback progress display on stderr when tqdm is not installed."""

    def __init__(self, desc: str, total: int | None) -> None:
        self.desc, self.total, self.n = desc, total, 0
        self.tty = sys.stderr.isatty()
        self._last = 0.0

    def update(self, n: int) -> None:
        self.n += n
        now = time.monotonic()
        # Redrawing on every chunk would flood slow terminals.
        if self.tty and now - self._last > 0.1:
            self._last = now
            sys.stderr.write(f"\r{self._line()}")
            sys.stderr.flush()

    def _line(self) -> str:
        done = f"{self.n / 1e6:.1f} MB"
        if self.total:
            percent = 100 * self.n // self.total
            return f"{self.desc}: {percent:3d}% ({done} / {self.total / 1e6:.1f} MB)"
        return f"{self.desc}: {done}"

    def close(self) -> None:
        # Without a tty, carriage-return redraws would garble logs: print one final line.
        prefix = "\r" if self.tty else ""
        sys.stderr.write(f"{prefix}{self._line()}\n")
        sys.stderr.flush()


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(desc: str, total: int | None, enabled: bool) -> Any:
    if not enabled:
        return _NoProgress()
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainProgress(desc, total)
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)


def _fetch(
    url: str,
    dest: Path,
    stem: str,
    checksum: Checksum | None,
    timeout: float,
    progress: bool,
) -> None:
    """Download ``url`` to ``dest`` atomically, keeping it only if it verifies."""

    def verify(tmp: Path) -> None:
        # Before the file gets its final name, so a bad mirror never leaves a file that a
        # later load would pick up.
        _load_idx_file(tmp.read_bytes(), True, url, stem, checksum)

    with atomic_write(dest, suffix=".part", check=verify) as out, \
            urllib.request.urlopen(url, timeout=timeout) as resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        bar = _progress_bar(dest.name, total, progress)
        received = 0
        try:
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()
        if total is not None and received != total:
            raise DatasetError(
                f"{url}: truncated download: expected {total} bytes, found {received}"
            )


def _download(
    target: Path,
    missing: Sequence[str],
    mirrors: Sequence[str],
    checksums: Mapping[str, Checksum],
    timeout: float,
    progress: bool,
) -> list[str]:
    """Fetch each missing file from the first mirror that serves a valid copy.

    Returns the failures (``"url: reason"``) of files no mirror could provide.
    """
    try:
        made = make_dirs(target)
    except OSError as exc:
        return [f"{target}: cannot create directory: {exc.strerror or exc}"]
    failures: list[str] = []
    # Offline, each attempt can take the whole timeout: a mirror that could not be
    # reached once is not tried again for the remaining files.
    unreachable: set[str] = set()
    try:
        for stem in missing:
            attempts: list[str] = []
            for mirror in mirrors:
                url = f"{mirror.rstrip('/')}/{stem}.gz"
                if mirror in unreachable:
                    attempts.append(
                        f"{url}: skipped, the mirror was unreachable for an earlier file"
                    )
                    continue
                try:
                    _fetch(url, target / f"{stem}.gz", stem, checksums.get(stem), timeout,
                           progress)
                except (OSError, ValueError, http.client.HTTPException) as exc:
                    # DatasetError is a ValueError; urllib's errors are OSErrors.
                    reason = str(exc) if isinstance(exc, DatasetError) else f"{url}: {exc}"
                    attempts.append(reason)
                    if isinstance(exc, TimeoutError) or (
                        isinstance(exc, urllib.error.URLError)
                        and not isinstance(exc, urllib.error.HTTPError)
                    ):
                        unreachable.add(mirror)
                    continue
                break
            else:
                failures.extend(attempts or [f"{stem}.gz: no mirrors to try"])
    finally:
        remove_empty(made)  # a mistyped path= must not stay behind as an empty directory
    return failures


