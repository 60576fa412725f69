"""Generative fill: the picture repainted where its mask is painted, with the loaded model's
inpainting pipeline (same weights), and every pixel outside the mask the original's.

The model works on a context box around the mask (core.inpaint.context_box) at its native size,
whatever the mask's size: a small mask is not generated at a few dozen pixels, a large picture
not squashed into 512. The result is scaled back into the box, colour-matched to its
surroundings and composited into the original through the composite mask (GUIDE section 8).
"""

import numpy as np
from PIL import Image, ImageFilter

from ...core.errors import RequestError
from ...core.families import native_side
from ...core.init_image import rgb_picture, transparent_picture
from ...core.inpaint import (
    Edges,
    composite,
    composite_mask,
    context_box,
    default_edges,
    denoise_mask,
    generation_size,
    match_colours,
    repainted,
)
from ...core.mask import Box, painted_bounds
from ...core.mask_file import read_mask
from ...core.tasks import InpaintRequest
from ..events import Status
from ..image import diffuse
from ..loader import require_inpainting

NEUTRAL = 127  # "add", "replace": a grey the model reads as nothing in particular
# "replace": the seam is the subject's outline, and a wider blend would leave a halo of the old
# background around it (A1111's mask blur).
REPLACE_BLEND = 4
_FALLBACK_NATIVE = 512  # a family Atelier does not know the training size of


def run(ctx, request: InpaintRequest) -> None:
    require_inpainting(ctx.job.info)
    colour, original = read_picture(ctx.input_bytes(request.init_image), request)
    mask = repainted(read_request_mask(ctx, request), request.fill_mode)
    if request.steps_per_image == 0:
        raise RequestError(f"strength {request.strength} with {request.steps} steps runs no step; "
                           "raise the strength or the steps")
    bounds = painted_bounds(mask)
    edges = resolved_edges(request, bounds)
    # A new background is meant to differ from the old one: matching its colours to the old
    # picture's around the subject would pull it back.
    colour_match = request.colour_match and request.fill_mode != "replace"
    request = request.replace(grow=edges.grow, feather=edges.feather, blend=edges.blend,
                              colour_match=colour_match)  # recorded as used
    height, width = mask.shape
    reach = edges.grow + edges.feather  # how far past the painted pixels the model repaints
    box = context_box(Box(bounds.left - reach, bounds.top - reach, bounds.right + reach,
                          bounds.bottom + reach).clipped(width, height), width, height, padding=request.padding)

    region, painted = colour[box.slices()], mask[box.slices()]
    denoise = denoise_mask(painted, edges)
    blend = composite_mask(painted, edges)
    start = prefill(region, denoise, request.fill_mode)

    loaded = ctx.load()
    side = request.generation_side or native_side(loaded.info.family) or _FALLBACK_NATIVE
    gen_width, gen_height = generation_size(box.width, box.height, side)

    def finish(generated: Image.Image) -> Image.Image:
        """The generated box back at its size, matched and composited into the original."""
        made = np.asarray(generated.convert("RGB").resize((box.width, box.height), Image.Resampling.LANCZOS))
        if request.colour_match:
            made = match_colours(made, region, painted)
        whole = original.copy()
        whole[box.slices()] = composite(original[box.slices()], made, blend)
        if whole.shape[2] == 4:  # what is generated is opaque; outside the mask alpha is kept
            alpha = whole[box.slices()][..., 3].astype(np.float32)
            raised = np.round(alpha + (255 - alpha) * blend.astype(np.float32) / 255).astype(np.uint8)
            whole[box.slices()][..., 3] = np.where(blend == 0, whole[box.slices()][..., 3], raised)
        return Image.fromarray(whole, "RGBA" if whole.shape[2] == 4 else "RGB")

    pipe = loaded.pipeline_for("AutoPipelineForInpainting")
    diffuse(ctx, loaded, pipe, request, {
        "image": Image.fromarray(start).resize((gen_width, gen_height), Image.Resampling.LANCZOS),
        "mask_image": Image.fromarray(denoise, "L").resize((gen_width, gen_height), Image.Resampling.BILINEAR),
        "width": gen_width,
        "height": gen_height,
        "strength": request.strength,
    }, finish=finish, frame=((box.left, box.top, box.right, box.bottom), (gen_width, gen_height)))


def read_picture(data: bytes, request: InpaintRequest) -> tuple[np.ndarray, np.ndarray]:
    """(the picture as the model sees it: RGB, transparency over white; the picture to composite
    into: RGBA with its colours as stored when it has transparent pixels, else the same RGB)."""
    name = request.init_image.rsplit("/", 1)[-1]
    picture, _notes = rgb_picture(data, name)
    if picture.size != (request.width, request.height):
        raise RequestError(f"init image {name}: is {picture.width}x{picture.height}, the request says "
                           f"{request.width}x{request.height}; choose the init image again")
    colour = np.asarray(picture, np.uint8)
    transparent = transparent_picture(data, name)
    return colour, np.asarray(transparent, np.uint8).copy() if transparent is not None else colour.copy()


def read_request_mask(ctx, request: InpaintRequest) -> np.ndarray:
    """The mask at the picture's size; one of another size is scaled to it, and that is said."""
    mask, _notes = read_mask(ctx.input_bytes(request.mask), request.mask.rsplit("/", 1)[-1])
    if mask.shape != (request.height, request.width):
        ctx.emit(Status(f"the mask is {mask.shape[1]}x{mask.shape[0]} and the image {request.width}x"
                        f"{request.height}: the mask was scaled to fit", notice=True))
        mask = np.asarray(Image.fromarray(mask, "L").resize((request.width, request.height),
                                                             Image.Resampling.BILINEAR), np.uint8)
    return mask


def resolved_edges(request: InpaintRequest, bounds: Box) -> Edges:
    """The request's grow, feather and blend, each one not given in proportion to the mask."""
    default = default_edges(bounds)
    if request.fill_mode == "replace":
        default = Edges(default.grow, default.feather, min(default.blend, REPLACE_BLEND))
    return Edges(
        grow=default.grow if request.grow is None else request.grow,
        feather=default.feather if request.feather is None else request.feather,
        blend=default.blend if request.blend is None else request.blend,
    )


def prefill(region: np.ndarray, denoise: np.ndarray, fill_mode: str) -> np.ndarray:
    """What the repainted area starts from (it matters below full strength, and to the model's
    reading of the surroundings): ``fill`` the picture blurred, ``expand`` the surrounding
    colours continued from the edge, ``add`` neutral grey, ``remove`` the surroundings' colours
    smoothed over (the object's own gone), ``replace`` neutral grey too (the old background's
    colours would pull the new one toward them, and the subject's would bleed into it; an
    inpainting checkpoint sees the repainted area as this grey anyway)."""
    if fill_mode == "fill":
        filler = _blurred(region, max(8, min(region.shape[:2]) // 16))
    elif fill_mode in ("add", "replace"):
        filler = np.full_like(region, NEUTRAL)
    else:
        filler = from_surroundings(region, denoise, smooth=fill_mode == "remove")
    weight = denoise.astype(np.float32)[..., None] / 255
    return np.round(region * (1 - weight) + filler * weight).astype(np.uint8)


def from_surroundings(region: np.ndarray, denoise: np.ndarray, smooth: bool) -> np.ndarray:
    """Each pixel's colour from the pixels outside the mask near it: a normalised blur (the
    kept pixels' blurred colours divided by their blurred weight) at the smallest radius that
    reaches enough of them, so near the edge the edge's colours continue and deep inside a
    large area a wide average fills it. ``smooth`` starts at a wide radius: no edge detail."""
    keep = (denoise == 0).astype(np.uint8) * 255
    if not keep.any():
        return np.full_like(region, NEUTRAL)
    kept = np.round(region * (keep[..., None] / 255)).astype(np.uint8)
    filled = np.zeros(region.shape, np.float32)
    todo = np.ones(region.shape[:2], bool)
    for radius in ((32, 128) if smooth else (4, 16, 64)) + (256,):
        weight = _blurred(keep, radius).astype(np.float32)
        enough = todo & (weight >= 24)  # below this the 8-bit blur's rounding shows
        if enough.any():
            colours = _blurred(kept, radius).astype(np.float32) * 255 / np.maximum(weight, 1)[..., None]
            filled[enough] = colours[enough]
            todo &= ~enough
    if todo.any():  # farther from any kept pixel than the widest blur reaches
        filled[todo] = region[keep > 0].mean(axis=0)
    return np.clip(np.round(filled), 0, 255).astype(np.uint8)


def _blurred(pixels: np.ndarray, radius: int) -> np.ndarray:
    mode = "L" if pixels.ndim == 2 else "RGB"
    return np.asarray(Image.fromarray(pixels, mode).filter(ImageFilter.GaussianBlur(radius)), np.uint8)
