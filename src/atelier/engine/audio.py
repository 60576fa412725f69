"""What every sound task shares: the loop over a request's outputs (each from its own seed,
with per-step progress and cooperative cancel), the check of what a model made, and the FLAC
with its recipe inside.

A model's NaN or infinite samples fail the job rather than reach a speaker as a blast of noise;
peaks above 0 dBFS are turned down to just below it and said, never clipped without a word.
"""

import io
import json
import math
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np

from .. import __version__
from ..core.errors import GenerationCancelled, GenerationError, RequestError
from ..core.recipe import ModelRef, Recipe, Runtime
from ..core.tasks import Request
from .events import Artifact, Progress, Status
from .image import library_versions, quiet_libraries, seeds
from .loader import LoadedModel

FLAC_SUBTYPE = "PCM_24"  # 24-bit: the headroom of a float mix, at half the size of float WAV
_PEAK_CEILING = 10 ** (-0.1 / 20)  # -0.1 dBFS: what a turned-down peak is brought to


class _Stop(Exception):
    """Raised inside a model's step callback to stop at once."""


# generate(seed, on_step) -> samples (channels, frames); on_step(k) says k steps are done.
Generate = Callable[[int, Callable[[int], None]], np.ndarray]


def make_sounds(ctx, loaded: LoadedModel, request: Request, rate: int, total: int, generate: Generate,
                runtime: dict | None = None) -> None:
    """Make each output of ``request`` with ``generate`` and report it as an Artifact the moment
    it exists. ``total`` is the steps (or tokens) each output takes, for its Progress."""
    import torch

    versions = library_versions()
    for index, seed in enumerate(seeds(request)):
        if ctx.should_cancel():
            raise GenerationCancelled(0, total)
        started = time.perf_counter()
        done = 0

        def on_step(step: int, index=index, started=started) -> None:
            nonlocal done
            done = min(step, total)
            ctx.emit(Progress(index, request.batch_size, done, total, time.perf_counter() - started))
            if ctx.should_cancel():
                raise _Stop

        try:
            with torch.inference_mode(), quiet_libraries(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torchsde's Brownian-interval chatter, once per step
                samples = generate(seed, on_step)
        except _Stop:
            raise GenerationCancelled(done, total) from None
        except (RequestError, GenerationCancelled, GenerationError):
            raise
        except Exception as exc:  # torch/diffusers/transformers errors: out of memory, shapes, ...
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GenerationError(f"generation failed with {loaded.info.id}: {reason}") from exc
        samples = exact_length(samples, round(request.seconds * rate))
        recipe = sound_recipe(loaded, request.replace(seed=seed, batch_size=1), index, request.batch_size,
                              versions, runtime or {})
        ctx.emit(sound_artifact(ctx, samples, rate, recipe))


def exact_length(samples, frames: int) -> np.ndarray:
    """``samples`` (channels, frames) cut or padded with silence to ``frames``: decoders miss or
    add a few frames at the end (a tiny Oobleck makes 3999 of 4000), and the asked length is
    what the artist and the recipe count on."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[None, :]
    if samples.shape[-1] >= frames:
        return samples[:, :frames]
    return np.pad(samples, ((0, 0), (0, frames - samples.shape[-1])))


def clamp_seconds(ctx, request: Request, longest: float, model_name: str) -> Request:
    """``request`` with its length cut to the model's longest, said once when that happens."""
    if request.seconds <= longest:
        return request
    longest = math.floor(longest * 100) / 100  # a length the model really takes, written plainly
    ctx.emit(Status(f"{model_name} makes at most {longest:g} s; making {longest:g} s instead of "
                    f"{request.seconds:g} s", notice=True))
    return request.replace(seconds=longest)


def sound_recipe(loaded: LoadedModel, request: Request, index: int, count: int, versions: dict,
                 runtime: dict) -> Recipe:
    info = loaded.info
    return Recipe(
        request=request,
        model=ModelRef(info.id, info.name, info.family, info.pipeline, loaded.fingerprint, str(info.path)),
        runtime=Runtime(device=loaded.device, dtype=loaded.dtype, versions=versions, **runtime),
        batch_index=index,
        batch_size=count,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def sound_artifact(ctx, samples, rate: int, recipe: Recipe) -> Artifact:
    """The FLAC of ``samples`` ((channels, frames), as models return them) with its recipe."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[None, :]
    frames = samples.T  # (frames, channels), as files hold them
    if frames.shape[0] == 0:
        raise GenerationError(f"{recipe.model.name} made an empty sound; try a longer duration")
    if not np.isfinite(frames).all():
        raise GenerationError(f"{recipe.model.name} made NaN or infinite samples (seed {recipe.seed}); "
                              "try another seed or fewer steps, or fp32 precision in Settings")
    peak = float(np.abs(frames).max())
    if peak > 1.0:
        cut = 20 * math.log10(peak / _PEAK_CEILING)
        ctx.emit(Status(f"sound {recipe.batch_index + 1} peaked at +{20 * math.log10(peak):.1f} dBFS; "
                        f"turned down {cut:.1f} dB so it does not clip", notice=True))
        frames = frames * np.float32(_PEAK_CEILING / peak)
    from ..media.peaks import peaks_of

    # The waveform is summarised here, once, while the samples are in memory: the project keeps
    # it beside the sound, so no window ever reads a whole file to draw it.
    return Artifact("audio/flac", flac_bytes(frames, rate, recipe), recipe, peaks=peaks_of(frames, rate).to_bytes())


def flac_bytes(frames: np.ndarray, rate: int, recipe: Recipe) -> bytes:
    """24-bit FLAC with the recipe as JSON in its comment tag (a Vorbis comment, which any
    player shows and ``read_sound_recipe`` reads back)."""
    import soundfile

    buffer = io.BytesIO()
    with soundfile.SoundFile(buffer, "w", samplerate=int(rate), channels=frames.shape[1], format="FLAC",
                             subtype=FLAC_SUBTYPE) as file:
        file.comment = json.dumps(recipe.to_dict(), ensure_ascii=False)
        file.software = f"Atelier {__version__}"
        if getattr(recipe.request, "prompt", ""):
            file.title = recipe.request.prompt[:200]
        file.write(frames)
    return buffer.getvalue()
