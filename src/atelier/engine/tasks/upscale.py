"""Upscale: the picture ``scale`` times larger, by the job's model: an upscaler file (spandrel)
run in overlapping tiles blended without seams, a diffusers x4 upscale pipeline, or no model at
all, a Lanczos resize, labelled "not AI" wherever it shows. Optionally refined after by a
diffusion model's tiled image-to-image pass. Transparency is kept and upscaled too."""

import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
from PIL import Image

from ...core.errors import AtelierError, GenerationCancelled, GenerationError, ModelError, RequestError
from ...core.init_image import rgb_picture, transparent_picture
from ...core.limits import MAX_UPSCALED_SIDE
from ...core.recipe import ModelRef, Recipe, Runtime
from ...core.tasks import UpscaleRequest
from ...core.tiles import Blender, feather, scaled, tile_boxes
from ..events import Loaded, Loading, Progress, Status
from ..image import image_artifact, library_versions, seeds

LANCZOS_MODEL = ModelRef("lanczos", "Lanczos (not AI)", "lanczos", "", "")
MIN_TILE = 64  # below this an upscaler sees too little of the picture to be worth running


def check_upscaled_size(width: int, height: int, scale: int, name: str = "the picture") -> None:
    """RequestError, before anything is allocated, when the result would be too large."""
    if max(width, height) * scale > MAX_UPSCALED_SIDE:
        raise RequestError(f"{name}: {width}x{height} upscaled {scale}x would be {width * scale}x{height * scale} "
                           f"pixels, over the {MAX_UPSCALED_SIDE} px limit on a side; choose a smaller scale or "
                           "crop the picture first")


def run(ctx, request: UpscaleRequest) -> None:
    info = ctx.job.info
    if info is None and not request.not_ai:
        raise RequestError(f"upscaler {request.upscaler!r}: was not handed to the engine; choose it again")
    if info is not None and info.kind != "upscaler":
        raise ModelError(f"{info.id}: is an {info.kind} model, not an upscaler; choose an upscaler, or lanczos")
    picture = source_picture(ctx.input_bytes(request.image), request.image.rsplit("/", 1)[-1])
    check_upscaled_size(picture.width, picture.height, request.scale)
    size = (picture.width * request.scale, picture.height * request.scale)
    started = time.perf_counter()

    def report_tile(done: int, total: int) -> None:
        """Progress after each tile; a cancel takes effect here, between tiles."""
        ctx.emit(Progress(0, 1, done, total, time.perf_counter() - started))
        if ctx.should_cancel():
            raise GenerationCancelled(done, total)

    if ctx.should_cancel():
        raise GenerationCancelled(0, 1)
    if request.refine or (info is not None and info.family == "sd-upscale"):
        # Diffusion draws noise: the seed is fixed here so that the recipe makes it again.
        request = request.replace(seed=seeds(request)[0])
    if info is None:
        ctx.emit(Status(f"Upscaling {request.scale}x with a Lanczos resize (not AI): no upscaler model", notice=True))
        # Pillow resizes RGBA premultiplied, so transparent pixels' colours do not bleed in.
        result = picture.resize(size, Image.Resampling.LANCZOS)
        report_tile(1, 1)
        made = _Made(LANCZOS_MODEL, "cpu", "", request.tile, request.overlap)
    else:
        rgb = picture.convert("RGB")
        if info.family == "sd-upscale":
            from ..upscale_sd_x4 import upscale_x4

            upscaled = upscale_x4(ctx, rgb, request, report_tile)
            if upscaled.size != size:
                upscaled = upscaled.resize(size, Image.Resampling.LANCZOS)
            made = _pipeline_made(ctx, info, request)
        elif info.format == "single-file":
            upscaled, made = _with_upscaler_file(ctx, info, rgb, request, report_tile)
        else:
            raise ModelError(f"{info.id}: Atelier cannot upscale with a {info.family} {info.format} model; choose "
                             "an upscaler file (ESRGAN, SwinIR, ...) or lanczos")
        result = _with_alpha(upscaled, picture)
    adapters = ()
    if request.refine:
        from ..upscale_refine import refine

        refined, adapter = refine(ctx, result.convert("RGB"), request, report_tile)
        result, adapters = _with_alpha(refined, picture), (adapter,)
    recipe = Recipe(
        request=request.replace(tile=made.tile, overlap=made.overlap),
        model=made.model,
        runtime=Runtime(device=made.device, dtype=made.dtype, versions=library_versions()),
        adapters=adapters,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    ctx.emit(image_artifact(result, recipe))


@dataclass(frozen=True)
class _Made:
    """What made the upscaled pixels, for the recipe: the tile size and overlap are those
    actually used (smaller than asked after running out of memory)."""

    model: ModelRef
    device: str
    dtype: str
    tile: int
    overlap: int


def source_picture(data: bytes, name: str) -> Image.Image:
    """The picture to upscale as 8-bit RGB, or RGBA when it has transparent pixels (colours as
    stored). RequestError for a file that is not a picture, or one too small (core.init_image)."""
    picture, _notes = rgb_picture(data, name)
    return transparent_picture(data, name) or picture


def _with_alpha(upscaled: Image.Image, source: Image.Image) -> Image.Image:
    """``upscaled`` with the source's transparency, if it had any. Alpha goes through Lanczos,
    not the model: upscalers are trained on photographs' colours, and a mask's edges resized
    smoothly are what a cut-out needs."""
    if source.mode != "RGBA":
        return upscaled
    result = upscaled.convert("RGBA")
    result.putalpha(source.getchannel("A").resize(upscaled.size, Image.Resampling.LANCZOS))
    return result


def _device_and_dtype(ctx) -> tuple[str, str]:
    from ..loader import dtype_for, pick_device, pick_dtype

    device = pick_device(ctx.options.device)
    return device, dtype_for(ctx.options.precision) or pick_dtype(device)


def _pipeline_made(ctx, info, request) -> _Made:
    from ..fingerprint import model_fingerprint

    device, dtype = _device_and_dtype(ctx)
    model = ModelRef(info.id, info.name, info.family, info.pipeline, model_fingerprint(info.path), str(info.path))
    return _Made(model, device, dtype, request.tile, request.overlap)


def _with_upscaler_file(ctx, info, rgb: Image.Image, request, report_tile) -> tuple[Image.Image, _Made]:
    """The picture through the upscaler file in tiles. Out of memory, the tile halves and the
    whole picture starts again (a tile made at the old size would blend with a different
    overlap); under MIN_TILE px it gives up."""
    from ..upscalers import holds, load_upscaler, one_line

    device, dtype = _device_and_dtype(ctx)
    if not holds(info.path, device, dtype):
        ctx.emit(Loading(info.name))
    upscaler = load_upscaler(info.path, device, dtype)
    ctx.emit(Loaded(info.name, upscaler.device, upscaler.dtype))
    ctx.emit(Status(f"Upscaling with {info.name} ({upscaler.architecture} {upscaler.scale}x) on {device} ..."))
    pixels = np.asarray(rgb)
    tile, overlap = request.tile, request.overlap
    while True:
        try:
            upscaled = tiled_upscale(upscaler, pixels, request.scale, tile, overlap, report_tile)
            break
        except AtelierError:
            raise
        except Exception as exc:
            if not _out_of_memory(exc):
                raise GenerationError(f"upscaling failed with {info.id}: {one_line(exc)}") from exc
            _free_memory(device)
            smaller = min(tile, max(rgb.size)) // 2
            if smaller < MIN_TILE:
                raise GenerationError(f"out of memory on {device} even with {tile} px tiles; close other programs "
                                      "or choose the CPU as the device") from None
            ctx.emit(Status(f"out of memory with {tile} px tiles on {device}; starting again with {smaller} px tiles",
                            notice=True))
            tile, overlap = smaller, min(overlap, smaller // 4)
    model = ModelRef(info.id, info.name, upscaler.architecture, "", upscaler.fingerprint, str(info.path))
    return Image.fromarray(upscaled), _Made(model, upscaler.device, upscaler.dtype, tile, overlap)


def tiled_upscale(upscaler, pixels: np.ndarray, scale: int, tile: int, overlap: int, report_tile=None) -> np.ndarray:
    """``pixels`` (height, width, 3; uint8) upscaled ``scale`` times by ``upscaler``
    (upscalers.Upscaler) in ``tile`` px tiles overlapping by ``overlap``, blended with
    feathered weights; ``report_tile(done, total)`` after each. Where the model's own scale is
    not ``scale``, each tile is resized (Lanczos) before blending, so memory is bounded by the
    result, never by a larger intermediate picture."""
    height, width = pixels.shape[:2]
    boxes = tile_boxes(width, height, tile, overlap)
    blender = Blender(width * scale, height * scale, 3)
    for done, box in enumerate(boxes, start=1):
        out = upscaler.run(pixels[box.slices()])
        if upscaler.scale != scale:
            rounded = Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8))
            out = np.asarray(rounded.resize((box.width * scale, box.height * scale), Image.Resampling.LANCZOS))
        blender.add(scaled(box, scale), out, feather(box, width, height, overlap, scale))
        if report_tile is not None:
            report_tile(done, len(boxes))
    return blender.result()


# How torch words running out of memory where it raises a plain RuntimeError: MPS, and the CPU
# allocator ("DefaultCPUAllocator: not enough memory: you tried to allocate ...").
_OUT_OF_MEMORY = ("out of memory", "not enough memory", "can't allocate memory")


def _out_of_memory(exc: BaseException) -> bool:
    import torch

    text = str(exc).lower()
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and any(words in text for words in _OUT_OF_MEMORY))


def _free_memory(device: str) -> None:
    import gc

    gc.collect()
    if device == "cuda":
        import torch

        torch.cuda.empty_cache()
