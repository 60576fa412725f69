"""Sound tasks, one per kind of audio model: ``text-to-audio`` (Stable Audio: sound effects,
ambiences, loops; ``audio-to-audio`` from a sound to start from), ``music`` (MusicGen:
instrumentals, optionally following a melody) and ``song`` (ACE-Step: a song with lyrics). The
model's family picks the task (``AUDIO_TASKS``)."""

from dataclasses import dataclass

from ..errors import RequestError
from ..families import AUDIO_TASKS  # noqa: F401  (re-exported)
from .base import Request, register
from .parts import Denoising, Duration, Prompt, Prompting, Seeding, _is_int, _is_number, check_input, check_strength

MAX_LYRICS = 20_000  # characters: far past any song, short of a pasted book
SONG_LANGUAGES = ("en", "zh", "ja", "ko", "es", "fr", "de", "it", "pt", "ru", "unknown")


@register
@dataclass(frozen=True, kw_only=True)
class TextToAudioRequest(Duration, Denoising, Prompting, Request):
    """Stable Audio: stereo sound from a prompt; its defaults are the released model's."""

    task = "text-to-audio"
    kind = "audio"
    steps: int = 100
    guidance: float = 7.0


@register
@dataclass(frozen=True, kw_only=True)
class AudioToAudioRequest(TextToAudioRequest):
    """Stable Audio from a sound to start from (``init_audio``, stored in the project):
    ``strength`` 0 keeps it as it is, 1 keeps little more than its length."""

    task = "audio-to-audio"
    INPUTS = ("init_audio",)
    init_audio: str = ""
    strength: float = 0.5

    def _check_init_audio(self) -> None:
        check_input(self.init_audio, "init sound", "a sound", "the sound")
        check_strength(self.strength)


@register
@dataclass(frozen=True, kw_only=True)
class MusicRequest(Duration, Seeding, Prompt, Request):
    """MusicGen: music from a prompt, token by token (no denoising steps); ``melody`` names a
    reference clip stored in the project for the melody models to follow."""

    task = "music"
    kind = "audio"
    INPUTS = ("melody",)
    guidance: float = 3.0
    temperature: float = 1.0
    top_k: int = 250
    melody: str = ""

    def _check_music(self) -> None:
        if not _is_number(self.guidance) or not 0 <= self.guidance <= 50:
            raise RequestError(f"guidance {self.guidance}: must be between 0 and 50")
        if not _is_number(self.temperature) or not 0 < self.temperature <= 10:
            raise RequestError(f"temperature {self.temperature}: must be more than 0 and at most 10")
        if not _is_int(self.top_k) or not 1 <= self.top_k <= 10_000:
            raise RequestError(f"top k {self.top_k}: must be between 1 and 10000")
        if self.melody:
            check_input(self.melody, "melody", "a sound", "the clip")

    @property
    def steps_per_image(self) -> int:
        # MusicGen makes 50 tokens a second; the engine reports its model's real count.
        return max(1, round(self.seconds * 50))


@register
@dataclass(frozen=True, kw_only=True)
class SongRequest(Duration, Denoising, Prompt, Request):
    """ACE-Step: a song from a description of its style (``prompt``: tags such as "pop, female
    vocal, piano") and its ``lyrics`` ("[verse]" / "[chorus]" sections), with optional tempo,
    key and time signature. Its defaults are ACE-Step 1.5's."""

    task = "song"
    kind = "audio"
    seconds: float = 60.0
    steps: int = 8
    guidance: float = 7.0
    lyrics: str = ""
    bpm: int | None = None
    key: str = ""  # "C major", "F# minor", ...
    time_signature: str = ""  # "4", "3", "6" (beats per bar), as ACE-Step takes it
    language: str = "en"

    def _check_song(self) -> None:
        if not isinstance(self.lyrics, str) or len(self.lyrics) > MAX_LYRICS:
            raise RequestError(f"lyrics: must be text of at most {MAX_LYRICS} characters")
        if self.bpm is not None and (not _is_int(self.bpm) or not 30 <= self.bpm <= 300):
            raise RequestError(f"bpm {self.bpm}: must be between 30 and 300, or empty")
        for name in ("key", "time_signature"):
            if not isinstance(getattr(self, name), str) or len(getattr(self, name)) > 32:
                raise RequestError(f"{name.replace('_', ' ')}: must be short text, e.g. "
                                   f"{'C major' if name == 'key' else '4'}")
        if self.language not in SONG_LANGUAGES:
            raise RequestError(f"language {self.language!r}: choose one of {', '.join(SONG_LANGUAGES)}")
