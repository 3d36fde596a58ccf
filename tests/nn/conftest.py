"""Lets the nn tests import their local helper (``gradcheck_helpers``) under any
import mode: with ``--import-mode=importlib`` (main's pytest configuration) pytest
does not put test folders on ``sys.path`` itself."""

import sys
from pathlib import Path

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.append(_here)  # appended: never shadows an installed module
