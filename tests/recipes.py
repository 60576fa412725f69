"""A realistic hand-made Recipe for tests of metadata and interop."""

import dataclasses

from atelier import __version__
from atelier.core.recipe import ModelRef, Recipe, Runtime
from atelier.core.tasks import TextToImageRequest

FINGERPRINT = "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6ffb49b4a1b28"


def make_recipe(request=None, **changes) -> Recipe:
    """A text-to-image recipe; ``request`` replaces its request, ``changes`` its other fields,
    and request fields given in ``changes`` (prompt=..., seed=...) change the request."""
    model = ModelRef(
        id="sdxl-base",
        name="sd_xl_base_1.0",
        family="sdxl",
        pipeline="StableDiffusionXLPipeline",
        fingerprint=FINGERPRINT,
        path="/models/sd_xl_base_1.0.safetensors",
    )
    request = request or TextToImageRequest(
        prompt="a lighthouse at dusk, oil painting",
        negative_prompt="",
        seed=1234,
        steps=30,
        guidance=7.0,
        width=1024,
        height=1024,
        scheduler="DPM++ 2M Karras",
    )
    request_fields = {f.name for f in dataclasses.fields(request)}
    request = request.replace(**{k: changes.pop(k) for k in list(changes) if k in request_fields})
    recipe = Recipe(
        request=request,
        model=model,
        runtime=Runtime(
            scheduler_class="DPMSolverMultistepScheduler",
            scheduler_config={"use_karras_sigmas": True, "beta_schedule": "scaled_linear"},
            device="cuda:0",
            dtype="float16",
            versions={"atelier": __version__, "torch": "2.4.0", "diffusers": "0.35.0"},
        ),
        batch_index=1,
        batch_size=4,
        created="2025-01-02T03:04:05+00:00",
    )
    return dataclasses.replace(recipe, **changes)
