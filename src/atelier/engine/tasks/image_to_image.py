"""An image from a prompt and a picture to start from: the model's pipeline turned into its
image-to-image one (same weights). The init image is resized to the request's size; strength 0
returns it unchanged, pixel for pixel."""

from PIL import Image

from ...core.errors import RequestError
from ...core.init_image import rgb_picture
from ...core.tasks import ImageToImageRequest
from ..image import diffuse, image_artifact, image_recipe, library_versions, seeds
from ..loader import require_text_to_image


def run(ctx, request: ImageToImageRequest) -> None:
    require_text_to_image(ctx.job.info)
    init = init_picture(ctx.input_bytes(request.init_image), request)
    loaded = ctx.load()
    if request.strength == 0:
        versions = library_versions()
        for index, seed in enumerate(seeds(request)):
            ctx.emit(image_artifact(init, image_recipe(loaded, loaded.pipe, request, seed, index, versions)))
        return
    if request.steps_per_image == 0:
        raise RequestError(f"strength {request.strength} with {request.steps} steps runs no step; "
                           "raise the strength or the steps")
    pipe = loaded.pipeline_for("AutoPipelineForImage2Image")
    diffuse(ctx, loaded, pipe, request, {"image": init, "strength": request.strength})


def init_picture(data: bytes, request: ImageToImageRequest) -> Image.Image:
    """The init image as the pipeline takes it: 8-bit RGB (alpha over white, 16-bit reduced,
    upright: the pixels a prepared picture file was stored with), at the request's size."""
    picture, _notes = rgb_picture(data, request.init_image.rsplit("/", 1)[-1])
    if picture.size != (request.width, request.height):
        picture = picture.resize((request.width, request.height), Image.Resampling.LANCZOS)
    return picture
