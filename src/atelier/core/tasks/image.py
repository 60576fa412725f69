"""Image tasks: an image from a prompt, and an image from a prompt and a picture to start from."""

from dataclasses import dataclass

from ..limits import VARIATION_STRENGTHS  # noqa: F401  (re-exported)
from .base import Request, register
from .parts import InitImage, Prompting, Sampling, Size


@register
@dataclass(frozen=True, kw_only=True)
class TextToImageRequest(Size, Sampling, Prompting, Request):
    task = "text-to-image"


@register
@dataclass(frozen=True, kw_only=True)
class ImageToImageRequest(InitImage, Size, Sampling, Prompting, Request):
    """The init image is resized to width x height; strength sets how much of it is redrawn."""

    task = "image-to-image"
    INPUTS = ("init_image",)

    @property
    def steps_per_image(self) -> int:
        # Diffusers skips the first steps and runs int(steps * strength) of them.
        return min(int(self.steps * self.strength), self.steps)
