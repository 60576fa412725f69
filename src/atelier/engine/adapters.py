"""Everything an image request uses besides its model, applied to the pipeline before the
diffusion loop: a VAE in place of the model's own, textual-inversion embeddings named in the
prompt, LoRAs, ControlNets and reference images. Each kind has its own module; this one calls
them in the order they build on each other and gathers what the recipe records."""

from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ModelError
from ..core.recipe import Adapter
from . import controlnets, embeddings, ip_adapters, loras, vae_swap


@dataclass
class Prepared:
    pipe: Any  # the pipeline to call: the task's own, or its ControlNet form
    arguments: dict = field(default_factory=dict)  # call arguments the adapters add (control images, ...)
    adapters: tuple[Adapter, ...] = ()  # for the recipe


def prepare(ctx, loaded, pipe, request, frame=None) -> Prepared:
    """Apply what ``request`` uses to ``loaded`` (its weights are shared by every pipeline made
    from it) and to ``pipe``; undo what an earlier request applied and this one does not use, so
    that a request without adapters makes the pixels the bare model makes. ``frame``: the box of
    the picture generated and its generation size, when that is not the whole picture at the
    request's size (controlnets.apply)."""
    for info in ctx.job.extra_models.values():
        if info.format == "pickle":  # listed, never opened: loading one would run its code
            raise ModelError(f"{info.path}: is a pickle file, which Atelier never opens; convert it to "
                             "safetensors (Model Library, or 'atelier models convert FILE OUT --trust')")
    used: list[Adapter] = []
    used += vae_swap.apply(ctx, loaded, getattr(request, "vae", ""))
    used += embeddings.apply(ctx, loaded, (request.prompt, request.negative_prompt))
    used += loras.apply(ctx, loaded, getattr(request, "loras", ()))
    pipe, arguments, controls = controlnets.apply(ctx, loaded, pipe, getattr(request, "controls", ()), frame)
    more_arguments, references = ip_adapters.apply(ctx, loaded, pipe, getattr(request, "references", ()))
    return Prepared(pipe, {**arguments, **more_arguments}, tuple(used + controls + references))
