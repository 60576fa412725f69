"""Tiny real ONNX graphs, written the way a user has background-removal models on disk.

A matting graph here is a 1x1 convolution over the three normalised colour channels (then a
sigmoid, except for BiRefNet whose output is logits): deterministic, and picture-dependent in a
useful way: with the default weights a bright subject on a dark background comes out as a
subject mask. Built with the onnx package, run by onnxruntime for real, each in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from atelier.engine.matting_families import BY_NAME

# onnxruntime runs opsets well past these; pinned so a newer onnx package cannot outrun it.
_OPSET = 17
_IR_VERSION = 8
INPUT_NAME = "input.1"  # what U²-Net's export calls its input


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)],
                              producer_name="atelier-tests")
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def build_matting_model(path: Path, family: str = "u2netp", side: int | None = None, *,
                        weights: tuple[float, float, float] | None = None, bias: float = 0.0,
                        sigmoid: bool | None = None, dynamic: bool = False, outputs: int = 1) -> Path:
    """A segmentation graph at ``path``: input ``input.1`` [1,3,S,S] float32, output [1,1,S,S].

    S is the family's side unless ``side`` is given (a "wrong size" model for the refusal
    tests). The output is ``sigmoid(sum(weights[c] * x[c]) + bias)``; the default weights
    (9 times the family's deviation) make it all but 0 or 1 on subject_picture's dark
    background and bright subject, whichever the normalisation; ``sigmoid`` defaults to
    the family's (none for BiRefNet, which gives logits), and with ``sigmoid=False`` and
    weights (1, 0, 0) the output is the normalised red channel itself, so a test can read the
    pre-processing back. ``dynamic`` leaves batch, height and width symbolic, as some exports
    do; ``outputs`` > 1 adds side outputs (U²-Net has seven) that are the first one inverted,
    so using any but the first shows."""
    known = BY_NAME.get(family)
    side = side or (known.side if known else 320)
    if weights is None:
        weights = tuple(9.0 * deviation for deviation in (known.std if known else (0.229, 0.224, 0.225)))
    if sigmoid is None:
        sigmoid = not (known and known.sigmoid)
    shape_in: list[int | str] = ["batch", 3, "height", "width"] if dynamic else [1, 3, side, side]
    shape_out: list[int | str] = ["batch", 1, "height", "width"] if dynamic else [1, 1, side, side]
    kernel = numpy_helper.from_array(np.array(weights, np.float32).reshape(1, 3, 1, 1), "kernel")
    offset = numpy_helper.from_array(np.array([bias], np.float32), "offset")
    nodes = [helper.make_node("Conv", [INPUT_NAME, "kernel", "offset"], ["score"])]
    first = "score"
    if sigmoid:
        nodes.append(helper.make_node("Sigmoid", ["score"], ["mask"]))
        first = "mask"
    output_names = [first]
    initializers = [kernel, offset]
    for index in range(1, outputs):
        name = f"side{index}"
        nodes.append(helper.make_node("Neg", [first], [name]))
        output_names.append(name)
    graph = helper.make_graph(
        nodes, "tiny-matting",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, shape_in)],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape_out) for name in output_names],
        initializers,
    )
    return _save(graph, path)


def build_classifier_model(path: Path, side: int = 320, classes: int = 1000) -> Path:
    """A graph that is no segmentation model: [1,3,S,S] in, [1,classes] scores out (an
    ImageNet-style classifier saved under a matting model's name, for the refusal tests)."""
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((classes, 3)).astype(np.float32), "fc")
    nodes = [
        helper.make_node("GlobalAveragePool", [INPUT_NAME], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["features"]),
        helper.make_node("Gemm", ["features", "fc"], ["scores"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny-classifier",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, classes])],
        [weight],
    )
    return _save(graph, path)


def subject_picture(width: int = 96, height: int = 64, *, alpha: bool = False):
    """A bright disc (the subject) on a dark background, as a PIL image; with ``alpha`` the
    left half is transparent, so the subject mask must take the picture's alpha in."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (width, height), (20, 30, 40))
    radius = min(width, height) // 3
    centre = (width // 2, height // 2)
    ImageDraw.Draw(picture).ellipse(
        (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius), fill=(240, 220, 200))
    if not alpha:
        return picture
    picture = picture.convert("RGBA")
    opacity = Image.new("L", (width, height), 255)
    ImageDraw.Draw(opacity).rectangle((0, 0, width // 2 - 1, height), fill=0)
    picture.putalpha(opacity)
    return picture
