"""Remove background: the job's matting model (engine.matting) finds the subject; its edge is
tidied as asked, and the subject is put on a transparent, solid or blurred background. The
subject mask travels with the output (Artifact.mask), so the canvas can offer it for
generative fill ("replace background").

No torch here: the model runs with onnxruntime, the rest is numpy and Pillow.
"""

import dataclasses
import time
from datetime import datetime, timezone

import numpy as np
from PIL import Image, ImageFilter

from ... import __version__
from ...core.errors import GenerationCancelled, ModelError
from ...core.init_image import rgb_picture, transparent_picture
from ...core.mask_file import mask_png
from ...core.recipe import ModelRef, Recipe, Runtime
from ...core.tasks import RemoveBackgroundRequest
from .. import matting
from ..events import Loaded, Loading, Progress, Status
from ..fingerprint import model_fingerprint
from ..image import image_artifact
from ..registry import ModelInfo, require_present

GUIDED_EPS = 1e-3  # how far the guided filter lets the matte follow the picture: small, to keep detail
ERODE_PIXELS = 2
BLUR_DIVISOR = 20  # the "blur" background's radius: the picture's shorter side / this, at least 4 px


def run(ctx, request: RemoveBackgroundRequest) -> None:
    info = require_matting(ctx.job.info)
    name = request.image.rsplit("/", 1)[-1]
    data = ctx.input_bytes(request.image)
    picture, _notes = rgb_picture(data, name)  # transparency over white: what a person sees
    transparent = transparent_picture(data, name)
    if not matting.is_open(info.path, ctx.options.device):
        ctx.emit(Loading(info.name))
    model = matting.open_model(info.path, ctx.options.device)
    ctx.emit(Loaded(info.name, model.device, "float32"))
    ctx.emit(Status(f"Removing the background with {info.name} ..."))
    if ctx.should_cancel():
        raise GenerationCancelled(0, 1)
    started = time.perf_counter()
    mask = refined(matting.subject_mask(model, picture), np.asarray(picture), request.edges)
    colours = np.asarray(picture, np.uint8)
    if transparent is not None:  # what was transparent is no subject; colours kept as stored
        rgba = np.asarray(transparent, np.uint8)
        colours = rgba[..., :3]
        mask = np.rint(mask.astype(np.float32) * rgba[..., 3] / 255.0).astype(np.uint8)
    result = on_background(colours, mask, request.background, request.colour, np.asarray(picture, np.uint8))
    ctx.emit(Progress(0, 1, 1, 1, time.perf_counter() - started))
    artifact = image_artifact(result, recipe(info, model, request))
    ctx.emit(dataclasses.replace(artifact, mask=mask_png(mask)))


def require_matting(info: ModelInfo | None) -> ModelInfo:
    if info is None or info.kind != "matting":
        what = f"{info.name} is a {info.kind} model" if info is not None else "no model was chosen"
        raise ModelError(f"remove background needs a background-removal model (U²-Net, ISNet, BiRefNet .onnx); "
                         f"{what}")
    require_present(info)
    return info


def refined(mask: np.ndarray, picture: np.ndarray, edges: str) -> np.ndarray:
    """The model's ``mask`` (uint8) with its edge tidied: "none" as it is, "guided" made to
    follow the edges of ``picture`` (uint8 RGB), "erode" pulled in two pixels and softened."""
    if edges == "guided":
        height, width = mask.shape
        grey = picture.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255.0
        radius = max(2, min(width, height) // 200)
        smoothed = guided_filter(grey, mask.astype(np.float64) / 255.0, radius, GUIDED_EPS)
        return np.rint(np.clip(smoothed, 0.0, 1.0) * 255).astype(np.uint8)
    if edges == "erode":
        return eroded(mask, ERODE_PIXELS)
    return mask


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He, Sun and Tang's guided filter: ``source`` smoothed so that its edges follow those of
    ``guide`` (both float (h, w), 0..1) over windows of (2 * radius + 1) px. Where ``source``
    is flat over a window, it is left as it is: only the band around its edges changes."""
    mean_guide = box_mean(guide, radius)
    mean_source = box_mean(source, radius)
    covariance = box_mean(guide * source, radius) - mean_guide * mean_source
    variance = box_mean(guide * guide, radius) - mean_guide * mean_guide
    slope = covariance / (variance + eps)
    offset = mean_source - slope * mean_guide
    return box_mean(slope, radius) * guide + box_mean(offset, radius)


def box_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """The mean of each (2 * radius + 1)² window around each pixel, the window cut at the
    picture's border (so the border is not darkened), by summed-area tables."""
    def along(array: np.ndarray, axis: int) -> np.ndarray:
        length = array.shape[axis]
        summed = np.cumsum(array, axis=axis)
        summed = np.concatenate([np.zeros_like(np.take(summed, [0], axis=axis)), summed], axis=axis)
        index = np.arange(length)
        upper = np.minimum(index + radius + 1, length)
        lower = np.maximum(index - radius, 0)
        return np.take(summed, upper, axis=axis) - np.take(summed, lower, axis=axis)

    height, width = values.shape
    counts = along(np.ones((height, 1)), 0) * along(np.ones((1, width)), 1)
    return along(along(values, 0), 1) / counts


def eroded(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` pulled in by ``pixels`` and softened over half as many, so the soft edge stays
    inside the old one: the ring of the old background the model leaves around a subject falls
    outside it."""
    image = Image.fromarray(mask, "L").filter(ImageFilter.MinFilter(2 * pixels + 1))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(pixels / 2)), np.uint8).copy()


def on_background(colours: np.ndarray, mask: np.ndarray, background: str, colour: str,
                  picture: np.ndarray) -> Image.Image:
    """The subject (``colours``, uint8 RGB, where ``mask`` says) on ``background``:
    "transparent" (RGBA, the mask as alpha), "colour" (over ``colour``, "#rrggbb") or "blur"
    (over ``picture`` strongly blurred)."""
    if background == "transparent":
        return Image.fromarray(np.dstack([colours, mask]), "RGBA")
    if background == "colour":
        behind = np.broadcast_to(np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float32),
                                 colours.shape)
    else:
        height, width = mask.shape
        radius = max(4, min(width, height) // BLUR_DIVISOR)
        behind = np.asarray(Image.fromarray(picture, "RGB").filter(ImageFilter.GaussianBlur(radius)), np.float32)
    alpha = mask.astype(np.float32)[..., None] / 255.0
    mixed = colours.astype(np.float32) * alpha + behind * (1.0 - alpha)
    return Image.fromarray(np.rint(mixed).astype(np.uint8), "RGB")


def recipe(info: ModelInfo, model: matting.MattingModel, request: RemoveBackgroundRequest) -> Recipe:
    import onnxruntime
    import PIL

    return Recipe(
        request=request,
        model=ModelRef(info.id, info.name, info.family, "onnxruntime", model_fingerprint(info.path), str(info.path)),
        runtime=Runtime(device=model.provider, dtype="float32",
                        versions={"atelier": __version__, "onnxruntime": onnxruntime.__version__,
                                  "numpy": np.__version__, "pillow": PIL.__version__}),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
