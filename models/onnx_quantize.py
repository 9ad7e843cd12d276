"""ONNX Runtime's dynamic int8 quantization as our converters use it (imported by
models/convert_whisper.py and models/convert_text_encoder.py; `tandem models fetch` writes this
file beside the converter it runs)."""

from __future__ import annotations

import logging
from pathlib import Path


def quantize(src: Path, dst: Path, per_channel: bool = False) -> None:
    """int8 weights for the MatMuls and Gathers (per tensor, or per output column with
    `per_channel`); activations are quantized per call at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantizer warns on the root logger that the graph was not pre-processed (ours need
    # none); keep it quiet while it runs.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            op_types_to_quantize=["MatMul", "Gather"],
            per_channel=per_channel,
            reduce_range=False,
            weight_type=QuantType.QInt8,
        )
    finally:
        root.setLevel(level)
