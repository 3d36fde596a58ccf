"""MNIST and Fashion-MNIST: IDX parsing, checksum verification, locating and downloading.

The four standard files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``) may each be stored raw or
gzip-compressed (``.gz``). Directories are searched in this order:

1. the explicit ``path`` argument (``path/<name>`` first, then ``path`` itself);
2. ``$AUTOGRAD_LITE_DATA/<name>``, when the variable is set;
   for Fashion-MNIST then ``/usr/share/datasets/fashion-mnist``, where Debian's
   ``dataset-fashion-mnist`` package installs it;
3. the user cache directory ``$XDG_CACHE_HOME/autograd_lite/<name>``
   (``~/.cache/autograd_lite/<name>`` when ``XDG_CACHE_HOME`` is unset).

``<name>`` is ``mnist`` or ``fashion_mnist`` (also ``fashion-mnist``). Files are verified
by the SHA-256 of their decompressed content, so re-compressed copies pass. Only a directory holding all four files is
used. If none does and ``download=True``, the missing files are fetched from public
mirrors into ``path`` (when given) or else into the cache directory.

Only NumPy and the standard library are required; ``tqdm`` is used for the download
progress bar when it is installed.

The code is in three modules: ``idx`` (the file format), ``download`` (mirrors,
checksums, progress) and ``mnist`` (the datasets, their search order, ``load_mnist``).
"""

from .download import Checksum
from .idx import DatasetError, read_idx
from .mnist import (ENV_VAR, FILES, NUM_CLASSES, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES,
                    TRAIN_LABELS, MNISTData, Split, load_mnist, to_float)

__all__ = [
    "Checksum",
    "DatasetError",
    "MNISTData",
    "Split",
    "load_mnist",
    "read_idx",
    "to_float",
]
