"""Sound from a prompt with a Stable Audio model: stereo, up to the length its transformer
takes (about 47 s for Stable Audio Open)."""

import json

from ...core.tasks import TextToAudioRequest
from ..audio import clamp_seconds, make_sounds
from ..loader import require_pipeline


def run(ctx, request: TextToAudioRequest) -> None:
    require_pipeline(ctx.job.info, {"StableAudioPipeline"}, "sound from a prompt")
    loaded = ctx.load()
    pipe = loaded.pipe
    rate = int(pipe.vae.config.sampling_rate)
    request = clamp_seconds(ctx, request, longest_seconds(pipe), loaded.info.name)

    def generate(seed, on_step):
        return stable_audio(pipe, request, seed, on_step)

    make_sounds(ctx, loaded, request, rate, request.steps, generate, scheduler_runtime(pipe.scheduler))


def stable_audio(pipe, request: TextToAudioRequest, seed: int, on_step, **start):
    """One call of a Stable Audio pipeline: (channels, frames) samples. ``start``: the
    pipeline's initial-audio arguments, for audio to audio."""
    import torch

    # The pipeline's old-style callback has no interrupt flag: on_step raises to stop it.
    output = pipe(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt or None,
        audio_end_in_s=request.seconds,
        num_inference_steps=request.steps,
        guidance_scale=request.guidance,
        generator=torch.Generator("cpu").manual_seed(seed),
        callback=lambda step, _timestep, _latents: on_step(step + 1),
        callback_steps=1,
        output_type="np",
        **start,
    )
    return output.audios[0]


def scheduler_runtime(scheduler) -> dict:
    """The sampler a recipe records: its class and its config as plain JSON values."""
    return {"scheduler_class": type(scheduler).__name__,
            "scheduler_config": json.loads(json.dumps({k: v for k, v in dict(scheduler.config).items()
                                                       if not k.startswith("_")}, default=str))}


def longest_seconds(pipe) -> float:
    """The longest clip the model makes: its transformer's sample length in latent frames,
    times the autoencoder's hop, over the sample rate."""
    return pipe.transformer.config.sample_size * pipe.vae.hop_length / pipe.vae.config.sampling_rate
