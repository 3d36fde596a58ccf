"""nn without its optional packages: ``import nn``, .npz checkpoints and everything else
work without safetensors, onnx, onnxruntime or torch; the features that need one say
which extra to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_nn_needs_neither_safetensors_nor_onnx(tmp_path):
    code = ("import sys\n"
            "for m in ('safetensors', 'onnx', 'onnxruntime', 'torch'): sys.modules[m] = None\n"
            "import numpy as np, nn\n"
            "nn.save({'w': np.ones(2)}, 'c.npz'); print(nn.load('c.npz')['w'].sum())\n"
            "try:\n"
            "    nn.export_onnx(nn.Linear(2, 2), np.ones((1, 2), np.float32))\n"
            "except ImportError as e: print(e)\n"
            "import nn.cli\n"
            "nn.save(nn.TwoLayerNet(4).state_dict(), 'net.npz')\n"
            "print(nn.cli.main(['export', '--checkpoint', 'net.npz']))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "2.0" and "pip install 'autograd-lite[onnx]'" in lines[1]
    assert lines[2] == "2" and "export: export_onnx needs the onnx package" in out.stderr
