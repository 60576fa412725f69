"""Upscale + refine (as Fooocus and krita-ai-diffusion do it): a light image-to-image pass of a
diffusion model over the upscaled picture, tile by tile at the size the model was trained at,
so that it draws the detail an upscaler cannot invent while keeping the composition."""

import inspect

from PIL import Image

from ..core.errors import ModelError, RequestError
from ..core.families import native_side
from ..core.recipe import Adapter
from ..core.tasks import UpscaleRequest
from .image import apply_scheduler
from .loader import LoadedModel, require_text_to_image
from .tiled_pass import ReportTile, run_tiles

_FALLBACK_SIDE = 512
_OVERLAP_SHARE = 8  # tiles overlap by an eighth of their side: 64 px at SD1.5's 512
_MULTIPLE = 16  # Flux packs 2 x 2 latents of 8 px: 16 px serves every image family


def refine(ctx, picture: Image.Image, request: UpscaleRequest, report_tile: ReportTile) -> tuple[Image.Image, Adapter]:
    """``picture`` (RGB, already upscaled) redrawn at ``request.refine_strength`` by
    ``request.refine_model`` (one of the job's extra models), steered by the request's prompt
    and sampling fields; the same size. ``request.seed`` must be resolved (tile ``i`` is drawn
    from seed + i). Returns the picture and the Adapter its recipe records."""
    info = ctx.job.extra_models.get(request.refine_model)
    if info is None:
        raise ModelError(f"refine model {request.refine_model!r}: not found; choose one listed by 'atelier models'")
    require_text_to_image(info)
    if int(request.steps * request.refine_strength) < 1:
        raise RequestError(f"refine strength {request.refine_strength} with {request.steps} steps runs no step; "
                           "raise the strength or the steps")
    if request.seed is None:
        raise ValueError("resolve the request's seed before refining, so that the recipe records it")
    loaded = ctx.load(info)
    pipe = loaded.pipeline_for("AutoPipelineForImage2Image")
    apply_scheduler(loaded, pipe, request.scheduler)
    tile = tile_side(loaded, pipe)

    def draw(tile_picture: Image.Image, generator) -> Image.Image:
        size = {"width": tile_picture.width, "height": tile_picture.height} if _takes_size(pipe) else {}
        return pipe(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            image=tile_picture,
            strength=request.refine_strength,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            num_images_per_prompt=1,
            generator=generator,
            output_type="pil",
            **size,
        ).images[0]

    refined = run_tiles(ctx, picture, tile=tile, overlap=tile // _OVERLAP_SHARE, scale=1, multiple=_MULTIPLE,
                        seed=request.seed, draw=draw, report_tile=report_tile, model_id=info.id)
    return refined, Adapter(kind="refine", name=info.id, fingerprint=loaded.fingerprint,
                            weight=request.refine_strength)


def tile_side(loaded: LoadedModel, pipe) -> int:
    """The side the model draws best at: its own default size (denoiser sample size times the
    VAE's scale, which tells SD2-base's 512 from SD2's 768), else its family's, else 512."""
    denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    sample_size = getattr(getattr(denoiser, "config", None), "sample_size", None)
    vae_scale = getattr(pipe, "vae_scale_factor", None)
    if isinstance(sample_size, int) and isinstance(vae_scale, int):
        return sample_size * vae_scale
    return native_side(loaded.info.family) or _FALLBACK_SIDE


def _takes_size(pipe) -> bool:
    """Whether the pipeline asks for the size (Flux's image-to-image would draw at 1024 px)."""
    return "height" in inspect.signature(pipe.__call__).parameters
