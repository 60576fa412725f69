"""Music from a prompt with a MusicGen model, token by token. One call makes up to
``WINDOW_SECONDS``; a longer piece is made by continuation, as the AudioCraft demo does: each
next call is given the last ``CONTEXT_SECONDS`` as an audio prompt and carries on from it, and
the seam is crossfaded. MusicGen Melody models can follow the melody of a reference clip
(``request.melody``), from its chroma computed here (transformers' feature extractor needs
torchaudio, which Atelier never installs: GUIDE section 6)."""

import json
import math

import numpy as np

from ...core.errors import RequestError
from ...core.tasks import MusicRequest
from ..audio import clamp_seconds, make_sounds
from ..loader import require_pipeline

MUSICGEN = {"MusicgenForConditionalGeneration", "MusicgenMelodyForConditionalGeneration"}
WINDOW_SECONDS = 30.0  # what MusicGen was trained on
CONTEXT_SECONDS = 10.0
SEAM_SECONDS = 0.05
LONGEST_SECONDS = 300.0


def run(ctx, request: MusicRequest) -> None:
    info = ctx.job.info
    require_pipeline(info, MUSICGEN, "music")
    melody_model = info.family == "musicgen-melody"
    if request.melody and not melody_model:
        raise RequestError(f"{info.name} cannot follow a melody; choose a MusicGen Melody model or clear the melody")
    loaded = ctx.load()
    model, tokenizer = loaded.pipe.model, loaded.pipe.tokenizer
    audio_config = model.config.audio_encoder
    rate, frame_rate = int(audio_config.sampling_rate), float(audio_config.frame_rate)
    window = min(WINDOW_SECONDS, 0.9 * model.config.decoder.max_position_embeddings / frame_rate)
    # A melody conditions one window; continuing it would need the chroma shifted along.
    longest = window if request.melody else LONGEST_SECONDS
    request = clamp_seconds(ctx, request, longest, info.name)
    delay = model.config.decoder.num_codebooks // audio_config.audio_channels - 1  # tokens the delay pattern eats
    context = min(CONTEXT_SECONDS, window / 3)
    plan = windows(request.seconds, window, context)
    tokens = [math.ceil(seconds * frame_rate) + delay for seconds in plan]
    chroma = melody_features(model, ctx.input_bytes(request.melody), loaded.info.path) if request.melody else None

    def generate(seed, on_step):
        import torch
        import transformers

        done = 0

        class CountTokens(transformers.StoppingCriteria):
            def __call__(self, input_ids, scores, **_kwargs):
                nonlocal done
                done += 1
                on_step(done)
                return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

        text = tokenizer([request.prompt], return_tensors="pt", padding=True).to(model.device)
        options = dict(do_sample=True, temperature=request.temperature, top_k=request.top_k,
                       guidance_scale=request.guidance if request.guidance > 1 else None,
                       stopping_criteria=transformers.StoppingCriteriaList([CountTokens()]))
        if chroma is not None:
            options["input_features"] = torch.from_numpy(chroma)[None].to(model.device, model.dtype)
        torch.manual_seed(seed)  # generate samples with the global generator
        sound = None
        for count in tokens:
            prompt = {}
            if sound is not None:
                tail = sound[:, -round(context * rate):]
                values = torch.from_numpy(np.ascontiguousarray(tail))[None].to(model.device, model.dtype)
                prompt = {"input_values": values, "padding_mask": torch.ones(values.shape[0], values.shape[-1],
                                                                               dtype=torch.long, device=model.device)}
            made = model.generate(**text, **prompt, **options, max_new_tokens=count)[0].float().cpu().numpy()
            sound = made if sound is None else join(sound, made, tail.shape[-1], round(SEAM_SECONDS * rate))
        return sound[:, :round(request.seconds * rate)]

    runtime = {"scheduler_config": {"generation": json.loads(model.generation_config.to_json_string())}}
    make_sounds(ctx, loaded, request, rate, sum(tokens), generate, runtime)


def windows(seconds: float, window: float, context: float) -> list[float]:
    """The new seconds each call makes: a first window, then continuations that each keep
    ``context`` seconds of what came before and add the rest of a window."""
    plan = [min(seconds, window)]
    while sum(plan) < seconds - 1e-6:
        plan.append(min(window - context, seconds - sum(plan)))
    return plan


def join(sound: np.ndarray, continued: np.ndarray, prompt_frames: int, seam: int) -> np.ndarray:
    """``sound`` followed by what ``continued`` made after its audio prompt (its first
    ``prompt_frames``, re-decoded), crossfaded over ``seam`` frames at the join."""
    seam = max(0, min(seam, prompt_frames, sound.shape[-1]))
    new = continued[:, prompt_frames - seam:]
    if seam == 0:
        return np.concatenate([sound, new], axis=-1)
    fade = np.linspace(0.0, 1.0, seam, dtype=np.float32)
    blended = sound[:, -seam:] * (1 - fade) + new[:, :seam] * fade
    return np.concatenate([sound[:, :-seam], blended, new[:, seam:]], axis=-1)


def melody_features(model, clip: bytes, folder) -> np.ndarray:
    """The reference clip as MusicGen Melody takes it: per frame, a one-hot of its strongest
    pitch class (chroma), over the model's 30 s window. Same method as transformers'
    MusicgenMelodyFeatureExtractor (without its optional Demucs stem split): power STFT with a
    Hann window, librosa's chroma filter bank, the loudest bin per frame set to one."""
    from transformers.audio_utils import chroma_filter_bank

    from ...media.audio_file import read_audio, resample

    settings = {"n_fft": 16384, "hop_length": 4096, "chunk_length": 30}
    try:  # the model's own feature-extractor settings, when its folder has them (plain JSON)
        saved = json.loads((folder / "preprocessor_config.json").read_text(encoding="utf-8"))
        settings.update({k: saved[k] for k in settings if isinstance(saved.get(k), int)})
    except (OSError, ValueError):
        pass
    rate = int(model.config.audio_encoder.sampling_rate)
    samples, clip_rate = read_audio(clip, "the melody clip")
    mono = resample(samples.mean(axis=1), clip_rate, rate)
    n_fft, hop = settings["n_fft"], settings["hop_length"]
    length = settings["chunk_length"] * rate
    mono = np.pad(mono[:length], (0, max(0, length - mono.shape[0])))
    padded = np.pad(mono, n_fft // 2, mode="reflect" if mono.shape[0] > n_fft // 2 else "constant")
    starts = np.arange(0, padded.shape[0] - n_fft + 1, hop)
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic, as torch's hann_window
    frames = np.stack([padded[start:start + n_fft] * window for start in starts])
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2  # (time, bins)
    filters = chroma_filter_bank(num_frequency_bins=n_fft, num_chroma=int(model.config.num_chroma),
                                 sampling_rate=rate, tuning=0)
    chroma = power @ filters.T  # (time, chroma)
    onehot = np.zeros_like(chroma, dtype=np.float32)
    onehot[np.arange(chroma.shape[0]), chroma.argmax(axis=-1)] = 1.0
    wanted = int(getattr(model.config, "chroma_length", onehot.shape[0]))
    return np.pad(onehot[:wanted], ((0, max(0, wanted - onehot.shape[0])), (0, 0)))
