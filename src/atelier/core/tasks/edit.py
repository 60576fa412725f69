"""Picture edits that make a new output from one picture: upscaling (an upscaler model, or
Lanczos when there is none, optionally refined by a diffusion model) and removing the
background (a matting model's subject mask)."""

from dataclasses import dataclass

from ..errors import RequestError
from ..limits import BACKGROUNDS, EDGE_REFINEMENTS, MAX_UPSCALE, UPSCALE_FACTORS
from .base import Request, register
from .parts import Prompting, Sampling, _is_int, check_input, check_strength

LANCZOS = "lanczos"  # the upscaler that is no model: a plain resize, labelled "not AI"


@dataclass(frozen=True, kw_only=True)
class SourceImage:
    """The picture the edit starts from, stored in the project (asset name)."""

    image: str = ""

    def _check_source_image(self) -> None:
        check_input(self.image, "image", "an image", "the picture")


@register
@dataclass(frozen=True, kw_only=True)
class UpscaleRequest(SourceImage, Sampling, Prompting, Request):
    """The picture ``scale`` times larger. The job's model is the upscaler (or none: Lanczos,
    ``upscaler`` = "lanczos"); it runs in ``tile`` px tiles that overlap by ``overlap`` px and
    are blended, and at its own scale, the result then resized to ``scale``. ``refine`` adds a
    tiled image-to-image pass at ``refine_strength`` with the diffusion model ``refine_model``
    (an id), steered by the prompt; the sampling fields are for that pass."""

    task = "upscale"
    title = "Upscaled"
    INPUTS = ("image",)
    progress_unit = "tile"  # the engine reports tiles as it goes

    upscaler: str = LANCZOS  # the upscaler's id as listed (the recipe's model has its fingerprint)
    scale: int = 2
    tile: int = 512
    overlap: int = 32
    refine: bool = False
    refine_model: str = ""
    refine_strength: float = 0.3
    steps: int = 20

    def _check_upscale(self) -> None:
        if not _is_int(self.scale) or not 2 <= self.scale <= MAX_UPSCALE:
            raise RequestError(f"scale {self.scale}: must be between 2 and {MAX_UPSCALE} (the window offers "
                               f"{' and '.join(f'{f}x' for f in UPSCALE_FACTORS)})")
        if not _is_int(self.tile) or not 64 <= self.tile <= 2048:
            raise RequestError(f"tile {self.tile}: must be between 64 and 2048 pixels")
        if not _is_int(self.overlap) or not 0 <= self.overlap <= self.tile // 4:
            raise RequestError(f"overlap {self.overlap}: must be between 0 and a quarter of the tile ({self.tile // 4})")
        if not isinstance(self.upscaler, str) or not self.upscaler:
            raise RequestError("upscaler: name one, or 'lanczos' for a plain resize")
        if not isinstance(self.refine, bool):
            raise RequestError(f"refine {self.refine!r}: must be true or false")
        if self.refine and not (isinstance(self.refine_model, str) and self.refine_model):
            raise RequestError("refine: choose the image model that refines the upscaled picture")
        check_strength(self.refine_strength)
        if self.batch_size != 1:
            raise RequestError(f"batch {self.batch_size}: an upscale makes one picture")

    @property
    def not_ai(self) -> bool:
        return self.upscaler == LANCZOS

    @property
    def extra_model_ids(self) -> tuple[str, ...]:
        return (self.refine_model,) if self.refine else ()

    @property
    def steps_per_image(self) -> int:
        return 1  # the engine reports tiles as it goes; their number depends on the picture

    @property
    def made_from_label(self) -> str:
        return f"Upscale {self.scale}x" + (" (not AI)" if self.not_ai else "")


@register
@dataclass(frozen=True, kw_only=True)
class RemoveBackgroundRequest(SourceImage, Request):
    """The picture with its background removed by the matting model (the job's model): the
    subject on ``background`` (transparent, the solid ``colour`` "#rrggbb", or the picture
    blurred), its edge tidied by ``edges``. The subject mask comes with the output."""

    task = "remove-background"
    title = "Background removed"
    INPUTS = ("image",)

    background: str = "transparent"
    colour: str = "#ffffff"
    edges: str = "none"

    def _check_remove_background(self) -> None:
        if self.background not in BACKGROUNDS:
            raise RequestError(f"background {self.background!r}: choose one of {', '.join(BACKGROUNDS)}")
        if self.edges not in EDGE_REFINEMENTS:
            raise RequestError(f"edges {self.edges!r}: choose one of {', '.join(EDGE_REFINEMENTS)}")
        colour = self.colour
        if not (isinstance(colour, str) and len(colour) == 7 and colour[0] == "#"
                and all(c in "0123456789abcdefABCDEF" for c in colour[1:])):
            raise RequestError(f"colour {colour!r}: write it as #rrggbb, e.g. #ffffff")

    @property
    def made_from_label(self) -> str:
        return "Background removed"
