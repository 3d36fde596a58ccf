"""ONNX export: :func:`export_onnx` writes a model as an ONNX graph that onnxruntime (or
any ONNX runtime) runs without Python, NumPy or nn.

Each layer class has one exporter function, registered with :func:`register_onnx`,
that adds the layer's ONNX nodes to the graph (:mod:`nn.export.layers` holds nn's
own). A model whose layers all have one exports; any other layer raises
:class:`UnsupportedModuleError` naming it and its place in the model. ``onnx`` (and,
to check the result, ``onnxruntime``) are optional: ``pip install
'autograd-lite[onnx]'``.
"""

from .onnx import (EXPORTERS, OnnxContext, UnsupportedModuleError, export_onnx, exporter_for,
                   register_onnx)
from . import attention, layers, sequence  # registers nn's own layers

__all__ = ["export_onnx", "register_onnx", "exporter_for", "OnnxContext",
           "UnsupportedModuleError", "EXPORTERS", "attention", "layers", "sequence"]
