"""A song with lyrics from an ACE-Step model: style tags as the prompt, lyrics in "[verse]" and
"[chorus]" sections, and optional tempo, key and time signature."""

from ...core.tasks import SongRequest
from ..audio import clamp_seconds, make_sounds
from ..loader import require_pipeline

LONGEST_SECONDS = 600.0  # ACE-Step 1.5 makes songs of up to ten minutes


def run(ctx, request: SongRequest) -> None:
    require_pipeline(ctx.job.info, {"AceStepPipeline"}, "a song")
    loaded = ctx.load()
    pipe = loaded.pipe
    request = clamp_seconds(ctx, request, LONGEST_SECONDS, loaded.info.name)

    def generate(seed, on_step):
        import torch

        def step_end(_pipe, step, _timestep, tensors):
            on_step(step + 1)
            return tensors

        output = pipe(
            prompt=request.prompt,
            lyrics=request.lyrics,
            audio_duration=request.seconds,
            vocal_language=request.language,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            bpm=request.bpm,
            keyscale=request.key or None,
            timesignature=request.time_signature or None,
            generator=torch.Generator("cpu").manual_seed(seed),
            callback_on_step_end=step_end,
            output_type="np",
        )
        return output.audios[0]

    make_sounds(ctx, loaded, request, int(pipe.sample_rate), request.steps, generate)
