"""Pose maps for ControlNet guidance, made by the pose-estimation model the artist has: DWPose's
whole-body RTMPose (``dw-ll_ucoco_384.onnx``, as ComfyUI and A1111 users keep it), run with
onnxruntime as the depth and background-removal models are.

RTMPose is a top-down estimator: it finds the keypoints of one person in that person's box. No
person detector is used (DWPose pairs it with a YOLOX one), so the box is the whole picture:
a picture of one person, framed. The picture is letterboxed into the model's input (288 x 384
where the graph leaves it open), keeping its aspect on black. The model gives, per keypoint, a
score for every position along x and along y at twice the input's resolution (SimCC): the
keypoint is where each peaks, and it is as sure as the lower of the two peaks. The first 17
keypoints are COCO's body; core/pose_drawing.py draws them as the OpenPose skeleton.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import GenerationError, ModelError
from ..core.pose_drawing import COCO_BODY, draw_pose, openpose_body
from ..models import kinds
from .onnx_sessions import FLOAT, KeptSession, error_line, fixed, open_session, picture_input, shape_text

# RTMPose's normalisation, on 0..255 RGB pixels (ImageNet's mean and spread).
_MEAN = (123.675, 116.28, 103.53)
_STD = (58.395, 57.12, 57.375)
_SIZE = (288, 384)  # (width, height) of dw-ll_ucoco_384, where the graph leaves its input open
_OUTPUTS = ("simcc_x", "simcc_y")
_NOT_POSE = "choose DWPose's pose model (dw-ll_ucoco_384.onnx: one picture in, simcc_x and simcc_y out)"


@dataclass(frozen=True)
class PoseModel:
    """An opened, checked pose model."""

    path: Path
    input_name: str
    size: tuple[int, int]  # (width, height) the picture is letterboxed into
    output_names: tuple[str, str]  # the x and the y scores
    session: object  # onnxruntime.InferenceSession


_kept = KeptSession()


def pose_map(info, picture, device: str = "auto"):
    """The pose map of ``picture`` (PIL; one person, framed) by the pose model ``info`` (a
    ModelInfo of kind "pose"): the OpenPose body skeleton on black, an RGB picture of the same
    size. ModelError, one line naming the file, for a file that is no pose model Atelier can
    run; GenerationError when onnxruntime fails to run it."""
    model = open_model(info, device)
    rgb = picture.convert("RGB")
    tensor, scale, offset = _letterboxed(rgb, model.size)
    try:
        along_x, along_y = model.session.run(list(model.output_names), {model.input_name: tensor})
    except Exception as exc:  # onnxruntime's own errors: out of memory, a node that cannot run, ...
        raise GenerationError(f"{model.path.name}: the pose model failed to run ({error_line(exc)})") from exc
    along_x, along_y = np.asarray(along_x, np.float64), np.asarray(along_y, np.float64)
    body = len(COCO_BODY)
    if along_x.ndim != 3 or along_y.ndim != 3 or along_x.shape[:2] != along_y.shape[:2] \
            or along_x.shape[0] != 1 or along_x.shape[1] < body or 0 in along_x.shape or 0 in along_y.shape:
        raise ModelError(f"{model.path.name}: gives {shape_text(along_x.shape)} and {shape_text(along_y.shape)}, "
                         f"not 1xKxN keypoint scores for {body} body keypoints or more; {_NOT_POSE}")
    along_x, along_y = np.nan_to_num(along_x[0, :body]), np.nan_to_num(along_y[0, :body])
    # Scores come at a multiple of the input's resolution (RTMPose's split ratio, 2).
    per_pixel = (along_x.shape[1] / model.size[0], along_y.shape[1] / model.size[1])
    points = np.stack([along_x.argmax(axis=1) / per_pixel[0], along_y.argmax(axis=1) / per_pixel[1]], axis=1)
    scores = np.minimum(along_x.max(axis=1), along_y.max(axis=1))
    points = (points - np.array(offset)) / np.array(scale)  # back from the letterbox to the picture
    return draw_pose(*openpose_body(points, scores), rgb.size)


def open_model(info, device: str = "auto") -> PoseModel:
    """The pose model of ``info``, checked and ready (the session kept from last time when the
    file has not changed)."""
    path = Path(info.path)
    if info.kind != kinds.POSE or kinds.pose_family(path) is None:
        raise ModelError(f"{info.id}: is a {info.kind}, not a pose model; {_NOT_POSE}")
    try:
        key = _kept.key(path, device)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); restore the file or rescan") from exc
    return _kept.get(key, lambda: _open(path, key[-1]))


def _letterboxed(rgb, size: tuple[int, int]) -> tuple[np.ndarray, tuple[float, float], tuple[int, int]]:
    """``rgb`` scaled to fit ``size`` (width, height) whole, centred on black, normalised as the
    model's 1x3xHxW input; with the scale along x and y (rounding makes them differ a little)
    and the (left, top) of the picture in it."""
    from PIL import Image

    width, height = size
    scale = min(width / rgb.width, height / rgb.height)
    fitted = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    left, top = (width - fitted[0]) // 2, (height - fitted[1]) // 2
    canvas = Image.new("RGB", size)
    canvas.paste(rgb.resize(fitted, Image.Resampling.BICUBIC), (left, top))
    pixels = (np.asarray(canvas, np.float32) - np.array(_MEAN, np.float32)) / np.array(_STD, np.float32)
    tensor = np.ascontiguousarray(pixels.transpose(2, 0, 1)[None], np.float32)
    return tensor, (fitted[0] / rgb.width, fitted[1] / rgb.height), (left, top)


def _open(path: Path, providers: tuple[str, ...]) -> PoseModel:
    session = open_session(path, providers)
    shape = picture_input(path, session, _NOT_POSE)
    outputs = session.get_outputs()
    if len(outputs) != 2 or any(o.type != FLOAT or len(o.shape) != 3 for o in outputs):
        given = ", ".join(f"{shape_text(o.shape)} {o.type}" for o in outputs) or "nothing"
        raise ModelError(f"{path.name}: gives {given}, not the x and y keypoint scores (SimCC); {_NOT_POSE}")
    names = tuple(o.name for o in outputs)
    # Exports name them; one that does not gives x first, as RTMPose's head does.
    output_names = _OUTPUTS if set(names) == set(_OUTPUTS) else names
    height, width = (fixed(dim) or side for dim, side in zip(shape[2:], reversed(_SIZE)))
    return PoseModel(path, session.get_inputs()[0].name, (width, height), output_names, session)
