"""Depth maps for ControlNet guidance, made by a depth-estimation model the artist has (an ONNX
export of Depth Anything or MiDaS), run with onnxruntime as the background-removal models are.

Both families give relative inverse depth (larger is nearer). Depth ControlNets were trained on
such maps stretched to 0..255 with the nearest point white, so that is what ``depth_map`` makes.
The family, told by the file's name (models/kinds.depth_family), gives the input side and the
normalisation; a graph that is not one picture in and one map out is refused in one line.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import GenerationError, ModelError
from ..models import kinds
from .onnx_sessions import FLOAT, KeptSession, error_line, fixed, open_session, picture_input, shape_text

_IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
_HALF = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))  # MiDaS v3's DPT models (dpt_*) take -1..1 pixels
# The input side each family was trained at where the graph leaves it open: Depth Anything's is
# a multiple of its ViT's 14-pixel patch, MiDaS DPT's 384.
_SIDES = {"depth-anything": 518, "midas": 384}
_NOT_DEPTH = "choose a Depth Anything or MiDaS depth model (.onnx, one picture in, one depth map out)"


@dataclass(frozen=True)
class DepthModel:
    """An opened, checked depth model."""

    path: Path
    input_name: str
    size: tuple[int, int]  # (width, height) the picture is resized to
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    session: object  # onnxruntime.InferenceSession


_kept = KeptSession()


def depth_map(info, picture, device: str = "auto"):
    """The depth map of ``picture`` (PIL) by the depth model ``info`` (a ModelInfo of kind
    "depth"): an RGB picture of the same size, the nearest point white, the farthest black.
    ModelError, one line naming the file, for a file that is no depth model Atelier can run;
    GenerationError when onnxruntime fails to run it."""
    from PIL import Image

    model = open_model(info, device)
    rgb = picture.convert("RGB")
    pixels = np.asarray(rgb.resize(model.size, Image.Resampling.BICUBIC), np.float32) / 255.0
    pixels = (pixels - np.array(model.mean, np.float32)) / np.array(model.std, np.float32)
    tensor = np.ascontiguousarray(pixels.transpose(2, 0, 1)[None], np.float32)
    try:
        output = model.session.run(None, {model.input_name: tensor})[0]
    except Exception as exc:  # onnxruntime's own errors: out of memory, a node that cannot run, ...
        raise GenerationError(f"{model.path.name}: the depth model failed to run ({error_line(exc)})") from exc
    output = np.asarray(output, np.float64)
    if output.ndim < 2 or output.size != output.shape[-1] * output.shape[-2]:
        raise ModelError(f"{model.path.name}: gives {shape_text(output.shape)}, not one depth map; {_NOT_DEPTH}")
    depth = np.nan_to_num(output.reshape(output.shape[-2:]))
    low, high = float(depth.min()), float(depth.max())
    # A flat map (nothing nearer than anything else) says nothing: black, as no guidance.
    scaled = (depth - low) / (high - low) if high - low > 1e-12 else np.zeros_like(depth)
    grey = Image.fromarray(np.rint(scaled * 255).astype(np.uint8), "L")
    return grey.resize(rgb.size, Image.Resampling.BICUBIC).convert("RGB")


def open_model(info, device: str = "auto") -> DepthModel:
    """The depth model of ``info``, checked and ready (the session kept from last time when the
    file has not changed)."""
    path = Path(info.path)
    family = kinds.depth_family(path)
    if info.kind != kinds.DEPTH or family is None:
        raise ModelError(f"{info.id}: is a {info.kind}, not a depth model; {_NOT_DEPTH}")
    try:
        key = _kept.key(path, device)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); restore the file or rescan") from exc
    return _kept.get(key, lambda: _open(path, family, key[-1]))


def _open(path: Path, family: str, providers: tuple[str, ...]) -> DepthModel:
    session = open_session(path, providers)
    shape = picture_input(path, session, _NOT_DEPTH)
    outputs = session.get_outputs()
    out_shape = outputs[0].shape if len(outputs) == 1 else []
    if len(outputs) != 1 or outputs[0].type != FLOAT or len(out_shape) not in (3, 4) \
            or any(fixed(dim) not in (None, 1) for dim in out_shape[:-2]):
        given = ", ".join(f"{shape_text(o.shape)} {o.type}" for o in outputs) or "nothing"
        raise ModelError(f"{path.name}: gives {given}, not one float depth map; {_NOT_DEPTH}")
    side = _SIDES[family]
    height, width = (fixed(dim) or side for dim in shape[2:])
    mean, std = _HALF if path.stem.lower().startswith("dpt_") else _IMAGENET
    return DepthModel(path, session.get_inputs()[0].name, (width, height), mean, std, session)
