"""An image from a prompt: the model's own pipeline."""

from ...core.tasks import TextToImageRequest
from ..image import diffuse
from ..loader import require_text_to_image


def run(ctx, request: TextToImageRequest) -> None:
    require_text_to_image(ctx.job.info)
    loaded = ctx.load()
    diffuse(ctx, loaded, loaded.pipe, request, {"width": request.width, "height": request.height})
