"""Text-to-image on a loaded pipeline, one image at a time, each from its own seeded generator.

Generating images one by one (rather than as one batch) makes every image reproducible from
its own seed alone and lets the caller save each as soon as it exists.
"""

import inspect
import json
import logging
import secrets
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from PIL import Image

from .. import __version__
from ..core.errors import GenerationCancelled, GenerationError, RequestError
from ..core.jobs import MAX_SEED, ImageRequest
from ..core.recipe import ModelRef, Recipe
from ..core.schedulers import scheduler_spec
from .loader import LoadedModel
from .previews import PreviewTaker

log = logging.getLogger(__name__)
_NO_LIMIT = 100_000  # tokenizers without a real limit report a huge model_max_length


@dataclass(frozen=True)
class StepProgress:
    image_index: int  # 0-based, within the request
    image_count: int
    step: int  # steps finished for this image, 1..total
    total: int
    elapsed: float  # seconds since this image started
    preview: Image.Image | None = None


@dataclass(frozen=True)
class GeneratedImage:
    image: Image.Image
    recipe: Recipe


class _Interrupt(Exception):
    """Raised inside the pipeline's step callback to stop at once, before the VAE decode."""


def generate_images(
    loaded: LoadedModel,
    request: ImageRequest,
    *,
    on_step: Callable[[StepProgress], None] | None = None,
    on_image: Callable[[GeneratedImage], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    preview_every: int = 0,
    on_notice: Callable[[str], None] | None = None,
) -> list[GeneratedImage]:
    """Make ``request.batch_size`` images. Callbacks run on the calling thread.

    ``preview_every`` = N > 0 attaches a cheap latent preview to every Nth step's progress (on a
    GPU, the preview of an earlier step, so that the GPU never waits for it).
    ``on_notice`` hears, once per request, a one-line note worth showing (a prompt longer than
    the model reads); without it the note is logged as a warning.
    Cancelling takes effect at the end of the current step and raises GenerationCancelled;
    images finished before it have already gone to ``on_image``.
    """
    import torch

    should_cancel = should_cancel or (lambda: False)
    base_seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
    _apply_scheduler(loaded, request.scheduler)
    versions = _versions()
    # The libraries warn about a long prompt once per image with the whole cut-off text (100 KB
    # for a pasted essay); they are kept quiet below and this one short note is said instead.
    for note in _prompt_notes(loaded, request):
        (on_notice or log.warning)(note)
    results = []
    for index in range(request.batch_size):
        seed = (base_seed + index) % (MAX_SEED + 1)
        if should_cancel():
            raise GenerationCancelled(0, request.steps)
        started = time.perf_counter()
        steps_done = 0
        previews = PreviewTaker(loaded.info.family)

        def step_end(pipe, step, _timestep, tensors, index=index, started=started, previews=previews):
            nonlocal steps_done
            steps_done = step + 1
            if on_step is not None:
                preview = None
                if preview_every > 0 and (steps_done % preview_every == 0 or steps_done == request.steps):
                    preview = previews.take(tensors.get("latents"))
                on_step(
                    StepProgress(
                        index, request.batch_size, steps_done, request.steps,
                        time.perf_counter() - started, preview,
                    )
                )
            if should_cancel():
                raise _Interrupt
            return tensors

        try:
            with torch.inference_mode(), _quiet_libraries():
                output = loaded.pipe(
                    prompt=request.prompt,
                    negative_prompt=request.negative_prompt or None,
                    num_inference_steps=request.steps,
                    guidance_scale=request.guidance,
                    width=request.width,
                    height=request.height,
                    num_images_per_prompt=1,
                    generator=torch.Generator("cpu").manual_seed(seed),
                    callback_on_step_end=step_end,
                    output_type="pil",
                )
        except _Interrupt:
            raise GenerationCancelled(steps_done, request.steps) from None
        except (RequestError, GenerationCancelled):
            raise
        except Exception as exc:  # torch/diffusers errors: out of memory, shape mismatches, ...
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GenerationError(f"generation failed with {loaded.info.id}: {reason}") from exc
        result = GeneratedImage(output.images[0], _recipe(loaded, request, seed, index, versions))
        results.append(result)
        if on_image is not None:
            on_image(result)
    return results


def _prompt_notes(loaded: LoadedModel, request: ImageRequest) -> list[str]:
    """One line for each of the prompt and negative prompt that is longer than the model reads."""
    notes = []
    for label, text in (("prompt", request.prompt), ("negative prompt", request.negative_prompt)):
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
            with _quiet_libraries():  # "Token indices sequence length is longer than ..."
                count = len(tokenizer(text, truncation=False).input_ids)
        except Exception:  # the note is a courtesy: never fail a generation over it
            log.debug("could not count the tokens of the prompt", exc_info=True)
            return None
        if count <= limit:
            return None
        limits.append(limit)
    return max(limits) if limits else None


@contextmanager
def _quiet_libraries():
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


def _apply_scheduler(loaded: LoadedModel, name: str) -> None:
    """Install the named sampler, built from the model's shipped config the first time."""
    import diffusers

    if name in loaded.samplers:
        loaded.pipe.scheduler = loaded.samplers[name]
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
    loaded.samplers[name] = loaded.pipe.scheduler = sampler


def _recipe(loaded: LoadedModel, request: ImageRequest, seed: int, index: int, versions: dict) -> Recipe:
    info = loaded.info
    scheduler = loaded.pipe.scheduler
    return Recipe(
        model=ModelRef(info.id, info.name, info.family, info.pipeline, loaded.fingerprint, str(info.path)),
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        seed=seed,
        steps=request.steps,
        guidance=float(request.guidance),
        width=request.width,
        height=request.height,
        scheduler=request.scheduler,
        scheduler_class=type(scheduler).__name__,
        scheduler_config=_plain_config(scheduler.config),
        device=loaded.device,
        dtype=loaded.dtype,
        versions=versions,
        batch_index=index,
        batch_size=request.batch_size,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def _plain_config(config) -> dict:
    """A scheduler config as plain JSON values, without diffusers' private bookkeeping keys."""
    return json.loads(json.dumps({k: v for k, v in dict(config).items() if not k.startswith("_")}, default=str))


def _versions() -> dict:
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
