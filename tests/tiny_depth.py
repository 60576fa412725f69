"""Tiny real depth-estimation ONNX graphs, named as Depth Anything and MiDaS exports are.

The graph is a 1x1 convolution over the normalised colour channels, then their mean: [1,3,H,W]
in, [1,H,W] out, as Depth Anything's exports give. Brighter pixels come out "nearer" (larger),
so a bright square on a dark ground must come out white on black. Built with the onnx package,
run by onnxruntime for real, in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_OPSET = 17  # ReduceMean takes its axes as an attribute up to 17
_IR_VERSION = 8


def build_depth_model(path: Path, side: int | None = None, *, channels_out: int = 1) -> Path:
    """A depth graph at ``path``: input "image" [1,3,S,S] (S symbolic when ``side`` is None),
    output "depth" [1,S,S]; ``channels_out`` 3 makes a graph that gives a colour picture instead
    (no depth model: refused)."""
    dims: list[int | str] = ["height", "width"] if side is None else [side, side]
    kernel = numpy_helper.from_array(np.ones((3, 3, 1, 1), np.float32), "kernel")
    nodes = [helper.make_node("Conv", ["image", "kernel"], ["mixed"])]
    if channels_out == 1:
        nodes.append(helper.make_node("ReduceMean", ["mixed"], ["depth"], axes=[1], keepdims=0))
        shape_out = [1, *dims]
    else:
        nodes.append(helper.make_node("Identity", ["mixed"], ["depth"]))
        shape_out = [1, 3, *dims]
    graph = helper.make_graph(nodes, "tiny-depth",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, *dims])],
                              [helper.make_tensor_value_info("depth", TensorProto.FLOAT, shape_out)],
                              initializer=[kernel])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="atelier-tests")
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def bright_square(width: int = 80, height: int = 48, level: int = 255):
    """A PIL picture: a square of grey ``level`` (near) on black (far)."""
    from PIL import Image

    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[height // 4: 3 * height // 4, width // 4: 3 * width // 4] = level
    return Image.fromarray(pixels)
