"""Stable Diffusion's x4 upscaler (a diffusers StableDiffusionUpscalePipeline folder): a
diffusion model that draws a picture 4 times larger from a small one, steered by a prompt.
It runs in 128 px tiles (512 px out), the size it was trained at, blended seam-free."""

from PIL import Image

from ..core.errors import ModelError
from ..core.tasks import UpscaleRequest
from .image import apply_scheduler
from .tiled_pass import ReportTile, run_tiles

SCALE = 4
_TILE = 128
_OVERLAP = 16
_MULTIPLE = 8  # the UNet halves a tile three times


def upscale_x4(ctx, picture: Image.Image, request: UpscaleRequest, report_tile: ReportTile) -> Image.Image:
    """``picture`` (RGB) 4 times larger, drawn by the job's model with the request's prompt,
    steps, guidance and scheduler (the noise level is the pipeline's default). ``request.seed``
    must be resolved (tile ``i`` is drawn from seed + i)."""
    info = ctx.job.info
    if info.pipeline != "StableDiffusionUpscalePipeline":
        raise ModelError(f"{info.id}: is no Stable Diffusion x4 upscaler ({info.pipeline or info.kind}); "
                         "choose one, or another upscaler")
    if request.seed is None:
        raise ValueError("resolve the request's seed before upscaling, so that the recipe records it")
    loaded = ctx.load()
    pipe = loaded.pipe
    apply_scheduler(loaded, pipe, request.scheduler)

    def draw(tile_picture: Image.Image, generator) -> Image.Image:
        return pipe(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            image=tile_picture,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            num_images_per_prompt=1,
            generator=generator,
            output_type="pil",
        ).images[0]

    return run_tiles(ctx, picture, tile=_TILE, overlap=_OVERLAP, scale=SCALE, multiple=_MULTIPLE,
                     seed=request.seed, draw=draw, report_tile=report_tile, model_id=info.id)
