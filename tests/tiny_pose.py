"""Tiny real pose-estimation ONNX graphs with DWPose's inputs and outputs: "input" [1,3,384,288]
in, "simcc_x" [1,17,576] and "simcc_y" [1,17,768] out (scores along x and y at twice the
input's resolution), named as DWPose's file is.

The graph finds the brightest column and row of the (normalised) picture: its mean per column
and per row, raised so that black scores about 0.1 and a bright square about 2, and gathered
into each keypoint's scores shifted by that keypoint's place in a standing figure. So a bright
square on black comes out as a whole skeleton around it, sure of itself, and a black picture as
keypoints too unsure to draw. Built with the onnx package, run by onnxruntime for real.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_OPSET = 17  # ReduceMean takes its axes as an attribute up to 17
_IR_VERSION = 8
HEIGHT, WIDTH = 384, 288
# Where each COCO body keypoint sits from the figure's middle, in input pixels (x, y): a person
# facing us, so their left is on our right. The face is drawn large, so that its dots do not overlap.
FIGURE = ((0, -111), (30, -140), (-30, -140), (55, -125), (-55, -125), (40, -80), (-40, -80), (60, -30),
          (-60, -30), (70, 20), (-70, 20), (28, 20), (-28, 20), (30, 90), (-30, 90), (32, 150), (-32, 150))
_RAISE = 2.1  # black normalises to about -2: raised, its scores stay under the 0.3 drawn


def build_pose_model(path: Path, *, outputs: int = 2) -> Path:
    """A pose graph at ``path``; ``outputs`` 1 makes one that gives the x scores alone (no pose
    model Atelier can run: refused)."""
    nodes, initializers = [], [numpy_helper.from_array(np.array([[0.0]], np.float32), "zero")]
    made = []
    axes = (("simcc_x", WIDTH, [1, 2]), ("simcc_y", HEIGHT, [1, 3]))[:outputs]
    for axis, (name, side, reduced) in enumerate(axes):
        nodes += [helper.make_node("ReduceMean", ["input"], [f"{name}_mean"], axes=reduced, keepdims=0),
                  helper.make_node("Add", [f"{name}_mean", "raise"], [f"{name}_raised"]),
                  helper.make_node("Concat", [f"{name}_raised", "zero"], [f"{name}_padded"], axis=1),
                  helper.make_node("Gather", [f"{name}_padded", f"{name}_index"], [name], axis=1)]
        initializers.append(numpy_helper.from_array(_shifts(side, [place[axis] for place in FIGURE]),
                                                    f"{name}_index"))
        made.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, len(FIGURE), side * 2]))
    initializers.append(numpy_helper.from_array(np.array(_RAISE, np.float32), "raise"))
    graph = helper.make_graph(nodes, "tiny-pose",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, HEIGHT, WIDTH])],
                              made, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="atelier-tests")
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _shifts(side: int, offsets: list[int]) -> np.ndarray:
    """Gather indices [K, 2*side]: keypoint k's score at position p (half-pixels) is the mean
    of input column p/2 - offset, or the zero slot (index ``side``) off the picture and at the
    odd half-pixels, so the peak is exactly at an even one."""
    index = np.full((len(offsets), side * 2), side, np.int64)
    for keypoint, offset in enumerate(offsets):
        for pixel in range(side):
            source = pixel - offset
            if 0 <= source < side:
                index[keypoint, 2 * pixel] = source
    return index


def bright_square(width: int = 96, height: int = 128, side: int = 16):
    """A PIL picture: a white square of ``side`` in the middle of black."""
    from PIL import Image

    pixels = np.zeros((height, width, 3), np.uint8)
    top, left = (height - side) // 2, (width - side) // 2
    pixels[top: top + side, left: left + side] = 255
    return Image.fromarray(pixels)
