"""The diffusion loop every image task shares: one output at a time, each from its own seeded
generator, each reported the moment it exists.

Making outputs one by one (rather than as one batch) makes every one reproducible from its own
seed alone and lets the caller save each as soon as it exists.
"""

import inspect
import json
import logging
import secrets
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from .. import __version__
from ..core.errors import GenerationCancelled, GenerationError, RequestError
from ..core.lora_tags import without_lora_tags
from ..core.recipe import ModelRef, Recipe, Runtime
from ..core.schedulers import scheduler_spec
from ..core.tasks import MAX_SEED, Request
from .events import Artifact, Picture, Preview, Progress, Status
from .loader import LoadedModel
from .previews import PreviewTaker

log = logging.getLogger(__name__)
_NO_LIMIT = 100_000  # tokenizers without a real limit report a huge model_max_length


class _Interrupt(Exception):
    """Raised inside the pipeline's step callback to stop at once, before the VAE decode."""


def seeds(request: Request) -> list[int]:
    """The seed of each output: the request's (or one drawn now), then +1 for each next one."""
    base = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
    return [(base + index) % (MAX_SEED + 1) for index in range(request.batch_size)]


def diffuse(ctx, loaded: LoadedModel, pipe, request: Request, pipe_arguments: dict, finish=None,
            frame=None) -> None:
    """Make each output of ``request`` with ``pipe`` (the base pipeline or one derived from it)
    and report it as an Artifact. ``pipe_arguments`` are the task's own call arguments (size,
    init image and strength, ...), added to the prompt, sampling and step callback. ``finish``,
    when given, turns each decoded picture into the output (inpainting puts it back into the
    whole picture); ``frame`` = ((left, top, right, bottom), (width, height)) says which box of
    the picture is generated at which size, for the guidance images (inpainting's context box).

    With ``ctx.options.preview_every`` = N > 0 every Nth step also sends a cheap latent Preview
    (on a GPU, the preview of an earlier step, so that the GPU never waits for it). A prompt
    longer than the model reads is said once per request as a Status. Cancelling takes effect
    at the end of the current step and raises GenerationCancelled."""
    import torch

    from .adapters import prepare

    prepared = prepare(ctx, loaded, pipe, request, frame)
    pipe = prepared.pipe
    apply_scheduler(loaded, pipe, request.scheduler)
    versions = library_versions()
    # The libraries warn about a long prompt once per image with the whole cut-off text (100 KB
    # for a pasted essay); they are kept quiet below and this one short note is said instead.
    for note in _prompt_notes(loaded, request):
        ctx.emit(Status(note, notice=True))
    total = request.steps_per_image
    preview_every = ctx.options.preview_every
    for index, seed in enumerate(seeds(request)):
        if ctx.should_cancel():
            raise GenerationCancelled(0, total)
        started = time.perf_counter()
        steps_done = 0
        previews = PreviewTaker(loaded.info.family)

        def step_end(_pipe, step, _timestep, tensors, index=index, started=started, previews=previews):
            nonlocal steps_done
            steps_done = step + 1
            ctx.emit(Progress(index, request.batch_size, steps_done, total, time.perf_counter() - started))
            if preview_every > 0 and (steps_done % preview_every == 0 or steps_done == total):
                preview = previews.take(tensors.get("latents"))
                if preview is not None:
                    ctx.emit(Preview(Picture.of(preview)))
            if ctx.should_cancel():
                raise _Interrupt
            return tensors

        try:
            with torch.inference_mode(), quiet_libraries():
                output = pipe(
                    prompt=without_lora_tags(request.prompt),
                    negative_prompt=without_lora_tags(request.negative_prompt) or None,
                    num_inference_steps=request.steps,
                    guidance_scale=request.guidance,
                    num_images_per_prompt=1,
                    generator=torch.Generator("cpu").manual_seed(seed),
                    callback_on_step_end=step_end,
                    output_type="pil",
                    **pipe_arguments,
                    **prepared.arguments,
                )
        except _Interrupt:
            raise GenerationCancelled(steps_done, total) from None
        except (RequestError, GenerationCancelled):
            raise
        except Exception as exc:  # torch/diffusers errors: out of memory, shape mismatches, ...
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GenerationError(f"generation failed with {loaded.info.id}: {reason}") from exc
        recipe = image_recipe(loaded, pipe, request, seed, index, versions, prepared.adapters)
        image = output.images[0]
        ctx.emit(image_artifact(finish(image) if finish is not None else image, recipe))


def image_artifact(image, recipe: Recipe) -> Artifact:
    """The PNG with its recipe inside, and the picture to show."""
    from ..core.metadata import png_bytes

    return Artifact("image/png", png_bytes(image, recipe), recipe, Picture.of(image))


def image_recipe(loaded: LoadedModel, pipe, request: Request, seed: int, index: int, versions: dict,
                 adapters: tuple = ()) -> Recipe:
    info = loaded.info
    scheduler = pipe.scheduler
    return Recipe(
        request=request.replace(seed=seed, batch_size=1),
        model=ModelRef(info.id, info.name, info.family, info.pipeline, loaded.fingerprint, str(info.path)),
        runtime=Runtime(
            scheduler_class=type(scheduler).__name__,
            scheduler_config=_plain_config(scheduler.config),
            device=loaded.device,
            dtype=loaded.dtype,
            versions=versions,
        ),
        adapters=tuple(adapters),
        batch_index=index,
        batch_size=request.batch_size,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def _prompt_notes(loaded: LoadedModel, request: Request) -> list[str]:
    """One line for each of the prompt and negative prompt that is longer than the model reads."""
    notes = []
    for label, text in (("prompt", request.prompt), ("negative prompt", request.negative_prompt)):
        text = without_lora_tags(text)
        limit = _tokens_read(loaded.pipe, text) if text else None
        if limit is not None:
            notes.append(f"the {label} is longer than {loaded.info.name} reads ({limit} tokens); the rest is ignored")
    return notes


def _tokens_read(pipe, text: str) -> int | None:
    """How many tokens of ``text`` the pipeline reads, when that is fewer than ``text`` holds;
    None when it reads all of it. With several text encoders (SDXL, SD3, Flux), the text is cut
    only if every one of them cuts it: the longest reader is the one that counts."""
    signature = inspect.signature(pipe.__call__).parameters.get("max_sequence_length")
    max_sequence = signature.default if signature is not None and isinstance(signature.default, int) else None
    limits = []
    for name in ("tokenizer", "tokenizer_2", "tokenizer_3"):
        tokenizer = getattr(pipe, name, None)
        if tokenizer is None:
            continue
        limit = tokenizer.model_max_length
        if "CLIP" not in type(tokenizer).__name__ and max_sequence is not None:
            limit = max_sequence  # T5 encoders read max_sequence_length tokens (Flux, SD3, PixArt)
        if not isinstance(limit, int) or limit >= _NO_LIMIT:
            return None
        if 2 * len(text.encode("utf-8")) + 2 <= limit:
            return None  # too short to be cut: no tokenizer makes more than 2 tokens a byte
        try:
            with quiet_libraries():  # "Token indices sequence length is longer than ..."
                count = len(tokenizer(text, truncation=False).input_ids)
        except Exception:  # the note is a courtesy: never fail a generation over it
            log.debug("could not count the tokens of the prompt", exc_info=True)
            return None
        if count <= limit:
            return None
        limits.append(limit)
    return max(limits) if limits else None


@contextmanager
def quiet_libraries():
    """Keep diffusers' and transformers' warnings off stderr for the block (errors still show):
    the prompt-truncation one repeats the whole cut-off text once per image and per encoder."""
    import diffusers
    import transformers

    libraries = (diffusers.utils.logging, transformers.utils.logging)
    saved = [library.get_verbosity() for library in libraries]
    for library in libraries:
        library.set_verbosity_error()
    try:
        yield
    finally:
        for library, level in zip(libraries, saved):
            library.set_verbosity(level)


def apply_scheduler(loaded: LoadedModel, pipe, name: str) -> None:
    """Install the named sampler on ``pipe``, built from the model's shipped config the first
    time. Pipelines derived from one model share its samplers (from_pipe shares components,
    but each pipeline holds its own scheduler attribute)."""
    import diffusers

    if name in loaded.samplers:
        pipe.scheduler = loaded.samplers[name]
        return
    spec = scheduler_spec(name)
    shipped = loaded.default_scheduler_config.get("_class_name", "")
    if not spec.class_name:
        target_class, options = shipped, {}
    elif shipped.startswith("FlowMatch"):
        raise RequestError(
            f"scheduler {name!r}: {loaded.info.id} is a flow-matching model; choose the 'Default' scheduler"
        )
    else:
        target_class, options = spec.class_name, spec.options
    sampler = getattr(diffusers, target_class).from_config(loaded.default_scheduler_config, **options)
    loaded.samplers[name] = pipe.scheduler = sampler


def _plain_config(config) -> dict:
    """A scheduler config as plain JSON values, without diffusers' private bookkeeping keys."""
    return json.loads(json.dumps({k: v for k, v in dict(config).items() if not k.startswith("_")}, default=str))


def library_versions() -> dict:
    import diffusers
    import torch
    import transformers

    # Plain str: torch's TorchVersion would make whoever unpickles a recipe import torch.
    return {
        "atelier": __version__,
        "torch": str(torch.__version__),
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
    }
