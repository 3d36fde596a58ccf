"""``python -m nn.cli``: the same as the ``autograd-lite`` command."""

import sys

from .main import main

if __name__ == "__main__":
    sys.exit(main())
