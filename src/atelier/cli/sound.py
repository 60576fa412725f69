"""``atelier generate`` with an audio model: the model's family picks the task (sound from a
prompt, music, or a song), and each option is checked against what that task takes."""

import hashlib
from pathlib import Path

from ..core.errors import ModelError, RequestError
from ..core.project_io import asset_name
from ..core.tasks import AUDIO_TASKS, AudioToAudioRequest, MusicRequest, SongRequest, TextToAudioRequest

# The options each task takes, beyond --prompt, --seed and --batch.
_TAKES = {
    "text-to-audio": {"seconds", "steps", "guidance", "negative", "init_audio", "strength"},
    "music": {"seconds", "guidance", "melody"},
    "song": {"seconds", "steps", "guidance", "lyrics", "bpm", "key", "time_signature", "language"},
}
_IMAGE_ONLY = ("size", "init_image")
# Options only sound takes, and all a sound task may take (steps, guidance, strength: images too).
SOUND_ONLY = ("seconds", "melody", "lyrics", "bpm", "key", "time_signature", "language", "init_audio")
_SOUND_OPTIONS = (*SOUND_ONLY, "steps", "guidance", "strength")


def sound_request(args, info, inputs: dict[str, bytes]):
    """The request for ``args`` on the audio model ``info``; a reference clip (``--melody``) is
    added to ``inputs`` under its asset name. RequestError for an option the task does not take."""
    task = AUDIO_TASKS.get(info.family)
    if task is None:
        raise ModelError(f"{info.id}: {info.pipeline} models are not supported; Atelier makes sound with Stable "
                         "Audio, MusicGen and ACE-Step models")
    for name in _IMAGE_ONLY:
        if getattr(args, name) is not None:
            raise RequestError(f"--{name.replace('_', '-')}: is for image models; {info.id} makes sound")
    # Options left out are None (the negative prompt: empty): the request's defaults then apply.
    given = {name for name in _SOUND_OPTIONS if getattr(args, name) is not None}
    given |= {"negative"} if args.negative else set()
    refused = sorted(given - _TAKES[task])
    if refused:
        raise RequestError(f"--{refused[0].replace('_', '-')}: {info.id} ({info.family}) does not take it")
    values = {"prompt": args.prompt, "seed": args.seed, "batch_size": args.batch}
    values.update({name: getattr(args, name) for name in ("seconds", "steps", "guidance") if name in given})
    if task == "text-to-audio" and args.init_audio is not None:
        clip = _read(args.init_audio, "--init-audio")
        name = _stored(clip, args.init_audio, inputs)
        values.setdefault("seconds", _length(clip, args.init_audio))
        strength = {} if args.strength is None else {"strength": args.strength}
        return AudioToAudioRequest(negative_prompt=args.negative, init_audio=name, **strength, **values)
    if "strength" in given:
        raise RequestError("--strength: goes with --init-audio (or --init-image for image models)")
    if task == "text-to-audio":
        return TextToAudioRequest(negative_prompt=args.negative, **values)
    if task == "music":
        if args.melody is not None:
            values["melody"] = _stored(_read(args.melody, "--melody"), args.melody, inputs)
        return MusicRequest(**values)
    if args.lyrics is not None:
        values["lyrics"] = _read(args.lyrics, "--lyrics").decode("utf-8", errors="replace")
    values.update({name: getattr(args, name) for name in ("bpm", "key", "time_signature", "language") if name in given})
    return SongRequest(**values)


def _stored(clip: bytes, path: Path, inputs: dict[str, bytes]) -> str:
    """The asset name a clip is kept under, the clip added to ``inputs`` by it."""
    name = asset_name(hashlib.sha256(clip).hexdigest(), path.suffix or ".wav")
    inputs[name] = clip
    return name


def _length(clip: bytes, path: Path) -> float:
    """A clip's length in seconds; RequestError, naming it, when it is not sound."""
    import io

    import soundfile

    try:
        info = soundfile.info(io.BytesIO(clip))
    except Exception as exc:
        raise RequestError(f"--init-audio {path}: cannot be read as sound ({exc}); choose another file") from exc
    return round(max(info.frames / info.samplerate, 0.1), 2)


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RequestError(f"{option} {path}: cannot be read ({exc.strerror or exc}); check the path") from exc
