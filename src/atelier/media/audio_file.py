"""Sound files in and out: read any file libsndfile reads into float32 samples, and encode
samples as WAV, FLAC, OGG Vorbis, Opus or MP3, all through ``soundfile`` (libsndfile 1.2), so no
ffmpeg is needed.

Reading refuses what would poison every later step (an empty file, NaN or infinite samples)
with one line naming the file. Writing clips to [-1, 1] first: every format here stores
integers or is decoded to them, and a clipped sample is the least surprising form of too loud.
Formats that take only some sample rates (Opus, MP3) get the sound resampled to one they take."""

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.atomic import atomic_write_bytes
from ..core.errors import RequestError


@dataclass(frozen=True)
class ExportFormat:
    key: str  # what encode_audio takes
    label: str  # what the UI shows
    suffix: str  # the file name's ending, with the dot
    container: str  # libsndfile's format
    subtype: str  # libsndfile's subtype
    lossy: bool = False  # decoded, its samples differ: peaks may rise a little
    rates: tuple[int, ...] = ()  # the sample rates the codec takes; empty: any


_MPEG_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

EXPORT_FORMATS = (
    ExportFormat("wav", "WAV 16-bit", ".wav", "WAV", "PCM_16"),
    ExportFormat("wav24", "WAV 24-bit", ".wav", "WAV", "PCM_24"),
    # 24-bit, as the engine stores its outputs: FLAC is the lossless copy to keep and edit
    # further, and 16 bits would put quantisation noise at -96 dBFS, where later gain can bring
    # it up. It costs about half again the size of 16-bit; "WAV 16-bit" is there for CD masters.
    ExportFormat("flac", "FLAC", ".flac", "FLAC", "PCM_24"),
    ExportFormat("ogg", "OGG Vorbis", ".ogg", "OGG", "VORBIS", lossy=True),
    ExportFormat("opus", "Opus", ".opus", "OGG", "OPUS", lossy=True, rates=(8000, 12000, 16000, 24000, 48000)),
    ExportFormat("mp3", "MP3", ".mp3", "MP3", "MPEG_LAYER_III", lossy=True, rates=_MPEG_RATES),
)
"""The formats a sound exports to, in the order the UI lists them."""

_BY_KEY = {f.key: f for f in EXPORT_FORMATS}
_BY_SUFFIX = {".wav": "wav", ".flac": "flac", ".ogg": "ogg", ".oga": "ogg", ".opus": "opus", ".mp3": "mp3"}
_OPUS_RATE = 48000  # Opus runs at 48 kHz inside: any other rate it takes is resampled anyway
_NAMES = {("WAV", "PCM_16"): "WAV 16-bit", ("WAV", "PCM_24"): "WAV 24-bit", ("WAV", "FLOAT"): "WAV 32-bit float",
          ("OGG", "VORBIS"): "OGG Vorbis", ("OGG", "OPUS"): "Opus", ("MP3", "MPEG_LAYER_III"): "MP3"}


def read_audio(source: str | Path | bytes, name: str | None = None) -> tuple[np.ndarray, int]:
    """(samples float32 (frames, channels), rate) of a sound file or its bytes.

    Raises RequestError naming ``name`` (default: the file's name) when the file is missing,
    empty, not sound libsndfile reads, holds no samples, or holds NaN or infinite samples."""
    import soundfile

    name = name or (Path(source).name if not isinstance(source, bytes) else "the sound")
    if isinstance(source, bytes):
        if not source:
            raise RequestError(f"{name}: the file is empty (0 bytes): choose a file that holds sound")
        opened = io.BytesIO(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise RequestError(f"{name}: no such file: check the path")
        if path.stat().st_size == 0:
            raise RequestError(f"{name}: the file is empty (0 bytes): choose a file that holds sound")
        opened = str(path)
    try:
        samples, rate = soundfile.read(opened, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        reason = getattr(exc, "error_string", "") or str(exc)
        raise RequestError(f"{name}: cannot be read as sound ({reason.rstrip('.')}): "
                           "use a WAV, FLAC, OGG, Opus or MP3 file") from None
    except OSError as exc:
        raise RequestError(f"{name}: cannot be read ({exc.strerror or exc}): check the file's permissions") from None
    if samples.shape[0] == 0 or samples.shape[1] == 0:
        raise RequestError(f"{name}: holds no samples (0 s of sound): choose a file that holds sound")
    if not np.isfinite(samples).all():
        raise RequestError(f"{name}: holds NaN or infinite samples: export it again from the program that made it")
    return samples, int(rate)


def file_format(source: str | Path | bytes, name: str | None = None) -> str:
    """A short name of the file's format, e.g. "FLAC 24-bit" or "OGG Vorbis"."""
    import soundfile

    name = name or (Path(source).name if not isinstance(source, bytes) else "the sound")
    try:
        info = soundfile.info(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, OSError):
        raise RequestError(f"{name}: cannot be read as sound: use a WAV, FLAC, OGG, Opus or MP3 file") from None
    if (info.format, info.subtype) in _NAMES:
        return _NAMES[info.format, info.subtype]
    if info.subtype.startswith("PCM_") and info.subtype[4:].isdigit():
        return f"{info.format} {int(info.subtype[4:])}-bit"
    return f"{info.format} {info.subtype_info}"


def format_for(path: str | Path) -> str:
    """The export format a file name asks for by its suffix (".wav" is 16-bit)."""
    suffix = Path(path).suffix.lower()
    if suffix not in _BY_SUFFIX:
        raise RequestError(f"{Path(path).name}: unknown sound format {suffix or '(no suffix)'!r}: "
                           f"end the name with {', '.join(sorted(_BY_SUFFIX))}")
    return _BY_SUFFIX[suffix]


def encode_audio(samples: np.ndarray, rate: int, fmt: str) -> bytes:
    """The bytes of a file in format ``fmt`` (a key of EXPORT_FORMATS) holding ``samples``
    ((frames,) or (frames, channels), clipped to [-1, 1]). Opus and MP3 get the sound resampled
    when they do not take ``rate``: to 48 kHz for Opus, to the nearest rate MP3 takes for MP3."""
    import soundfile

    spec = export_format(fmt)
    samples = _as_frames(samples)
    rate = int(rate)
    if rate <= 0:
        raise RequestError(f"sample rate {rate}: must be positive")
    if fmt == "mp3" and samples.shape[1] > 2:
        raise RequestError(f"MP3 holds mono or stereo, not {samples.shape[1]} channels: choose FLAC, WAV, OGG or Opus")
    target = export_rate(fmt, rate)
    if target != rate:
        samples, rate = resample(samples, rate, target), target
    samples = np.clip(samples, -1.0, 1.0)
    out = io.BytesIO()
    try:
        soundfile.write(out, samples, rate, format=spec.container, subtype=spec.subtype)
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as exc:
        reason = getattr(exc, "error_string", "") or str(exc)
        raise RequestError(f"{spec.label}: cannot encode this sound ({reason.rstrip('.')}): "
                           "choose FLAC or WAV") from None
    return out.getvalue()


def export_format(fmt: str) -> ExportFormat:
    """The entry of EXPORT_FORMATS for ``fmt``; RequestError naming the choices if none."""
    if fmt not in _BY_KEY:
        raise RequestError(f"sound format {fmt!r}: choose one of {', '.join(_BY_KEY)}")
    return _BY_KEY[fmt]


def export_rate(fmt: str, rate: int) -> int:
    """The sample rate ``encode_audio`` writes ``fmt`` at for a sound at ``rate``: the same,
    unless the codec does not take it (Opus: 48 kHz; MP3: the nearest rate it takes)."""
    spec = export_format(fmt)
    if not spec.rates or rate in spec.rates:
        return rate
    return _OPUS_RATE if fmt == "opus" else _nearest_rate(rate, spec.rates)


def write_audio(path: str | Path, samples: np.ndarray, rate: int, fmt: str | None = None) -> bytes:
    """Write ``samples`` to ``path`` in ``fmt`` (default: what the suffix asks for), all or
    nothing: a failed write leaves any earlier file there as it was. Returns the bytes
    written, for a caller that wants to check what a lossy codec made of the sound."""
    path = Path(path)
    data = encode_audio(samples, rate, fmt or format_for(path))
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise RequestError(f"{path}: cannot be written ({exc.strerror or exc}): choose another folder") from None
    return data


def resample(samples: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """``samples`` (frames,) or (frames, channels) at ``target_rate``, float32, through a
    polyphase filter (scipy's ``resample_poly``, up/down the rates divided by their gcd)."""
    from scipy.signal import resample_poly

    rate, target_rate = int(rate), int(target_rate)
    if rate <= 0 or target_rate <= 0:
        raise RequestError(f"sample rates must be positive, not {rate} and {target_rate}")
    samples = np.asarray(samples, dtype=np.float32)
    if rate == target_rate:
        return samples.copy()
    common = math.gcd(rate, target_rate)
    return resample_poly(samples, target_rate // common, rate // common, axis=0).astype(np.float32, copy=False)


def _as_frames(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[1] == 0:
        raise RequestError(f"samples must be (frames, channels), not shape {samples.shape}")
    if samples.shape[0] == 0:
        raise RequestError("the sound is empty (0 samples): nothing to write")
    if not np.isfinite(samples).all():
        raise RequestError("the sound holds NaN or infinite samples: make it again")
    return samples


def _nearest_rate(rate: int, rates: tuple[int, ...]) -> int:
    """The lowest of ``rates`` at or above ``rate`` (no treble lost), else the highest."""
    return next((r for r in sorted(rates) if r >= rate), max(rates))
