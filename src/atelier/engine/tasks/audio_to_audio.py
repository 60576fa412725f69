"""A sound from a prompt and a sound to start from, with a Stable Audio model. As Stable Audio's
own tools do it ("init noise level"), ``strength`` sets how much noise the start is buried
under: the sampler's schedule begins at that noise level instead of its highest, and all its
steps refine from there. 0 gives the clip back as it is; 1 keeps little more than its length."""

import numpy as np

from ...core.tasks import AudioToAudioRequest
from ..audio import clamp_seconds, make_sounds, sound_artifact, sound_recipe
from ..image import library_versions, seeds
from ..loader import require_pipeline
from .text_to_audio import longest_seconds, scheduler_runtime, stable_audio


def run(ctx, request: AudioToAudioRequest) -> None:
    require_pipeline(ctx.job.info, {"StableAudioPipeline"}, "sound from a sound")
    loaded = ctx.load()
    pipe = loaded.pipe
    rate, channels = int(pipe.vae.config.sampling_rate), int(pipe.vae.config.audio_channels)
    request = clamp_seconds(ctx, request, longest_seconds(pipe), loaded.info.name)
    start = init_sound(ctx.input_bytes(request.init_audio), rate, channels, round(request.seconds * rate))
    if request.strength == 0:
        versions = library_versions()
        for index, seed in enumerate(seeds(request)):
            recipe = sound_recipe(loaded, request.replace(seed=seed, batch_size=1), index, request.batch_size,
                                  versions, {})
            ctx.emit(sound_artifact(ctx, start, rate, recipe))
        return
    shipped = pipe.scheduler
    config = shipped.config
    sigma_max = config.sigma_min * (config.sigma_max / config.sigma_min) ** request.strength

    def generate(seed, on_step):
        import torch

        pipe.scheduler = type(shipped).from_config(config, sigma_max=sigma_max)
        try:
            return stable_audio(pipe, request, seed, on_step,
                                initial_audio_waveforms=torch.from_numpy(start)[None].to(pipe.device, pipe.dtype),
                                initial_audio_sampling_rate=rate)
        finally:
            pipe.scheduler = shipped

    runtime = scheduler_runtime(type(shipped).from_config(config, sigma_max=sigma_max))
    make_sounds(ctx, loaded, request, rate, request.steps, generate, runtime)


def init_sound(data: bytes, rate: int, channels: int, frames: int) -> np.ndarray:
    """The sound to start from as the model takes it: (channels, frames) float32 at its rate,
    mono or stereo as it makes, cut or padded with silence to the request's length."""
    from ...media.audio_file import read_audio, resample

    samples, clip_rate = read_audio(data, "the init sound")
    samples = resample(samples, clip_rate, rate)
    if samples.shape[1] != channels:
        samples = np.repeat(samples.mean(axis=1, keepdims=True), channels, axis=1)
    samples = samples[:frames]
    return np.pad(samples, ((0, frames - samples.shape[0]), (0, 0))).T.copy()
