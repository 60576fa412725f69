"""Image tasks: an image from a prompt, an image from a prompt and a picture to start from, and
a picture repainted where its mask says (generative fill, and extending a canvas)."""

from dataclasses import dataclass

from ..errors import RequestError
from ..limits import FILL_MODES, MAX_SIDE, VARIATION_STRENGTHS  # noqa: F401  (re-exported)
from .adapters import Adapters
from .base import Request, register
from .parts import InitImage, Prompting, Sampling, Size, _is_int, check_input


@register
@dataclass(frozen=True, kw_only=True)
class TextToImageRequest(Size, Sampling, Prompting, Adapters, Request):
    task = "text-to-image"


@register
@dataclass(frozen=True, kw_only=True)
class ImageToImageRequest(InitImage, Size, Sampling, Prompting, Adapters, Request):
    """The init image is resized to width x height; strength sets how much of it is redrawn."""

    task = "image-to-image"
    INPUTS = ("init_image",)

    @property
    def steps_per_image(self) -> int:
        return _steps_run(self)


@register
@dataclass(frozen=True, kw_only=True)
class InpaintRequest(InitImage, Sampling, Prompting, Adapters, Request):
    """The init image repainted where ``mask`` (a greyscale picture, white = repaint) is painted;
    every pixel outside it stays the original's. ``width`` x ``height`` is the image's own size.

    ``fill_mode`` says what the painted area starts from: ``fill`` a blur of the picture,
    ``expand`` its edges continued (extending a canvas), ``add`` neutral grey (a new object),
    ``remove`` its surroundings (the object gone); ``replace`` turns the mask around: it marks
    the subject to keep, and everything else (the background) is repainted from neutral grey.
    ``grow``/``feather`` widen and soften the area the model repaints, ``blend`` the seam of the
    composite; None: in proportion to the mask (core.inpaint.default_edges), the engine records
    what it used. ``padding`` is the margin of picture around the mask the model sees, in
    pixels; None: the automatic context (core.inpaint.context_box), kept as None in the recipe
    because that box is not one margin. ``generation_side`` is the side of the square area the
    masked region is generated at (its aspect kept); None: the model's native side."""

    task = "inpaint"
    INPUTS = ("init_image", "mask")

    width: int = 512
    height: int = 512
    mask: str = ""
    strength: float = 1.0
    fill_mode: str = "fill"
    grow: int | None = None
    feather: int | None = None
    blend: int | None = None
    colour_match: bool = True
    generation_side: int | None = None
    padding: int | None = None

    def _check_inpaint(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if not _is_int(value) or not 8 <= value <= MAX_SIDE:
                raise RequestError(f"{name} {value}: must be between 8 and {MAX_SIDE}")
        check_input(self.mask, "mask", "a mask", "the mask")
        if self.fill_mode not in FILL_MODES:
            raise RequestError(f"fill mode {self.fill_mode!r}: choose one of {', '.join(FILL_MODES)}")
        for name in ("grow", "feather", "blend"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or not 0 <= value <= 256):
                raise RequestError(f"{name} {value}: must be between 0 and 256 pixels")
        padding = self.padding
        if padding is not None and (not _is_int(padding) or not 0 <= padding <= MAX_SIDE):
            raise RequestError(f"padding {padding}: must be between 0 and {MAX_SIDE} pixels")
        if not isinstance(self.colour_match, bool):
            raise RequestError(f"colour match {self.colour_match!r}: must be true or false")
        side = self.generation_side
        if side is not None and (not _is_int(side) or side % 8 or not 64 <= side <= MAX_SIDE):
            raise RequestError(f"generation side {side}: must be a multiple of 8 between 64 and {MAX_SIDE}")

    @property
    def made_from_label(self) -> str:
        return f"Generative fill · {self.images} images" if self.images > 1 else "Generative fill"

    @property
    def steps_per_image(self) -> int:
        return _steps_run(self)


def _steps_run(request) -> int:
    # Diffusers skips the first steps and runs int(steps * strength) of them.
    return min(int(request.steps * request.strength), request.steps)
