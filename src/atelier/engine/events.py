"""What the engine tells whoever runs a job, as typed events: the same objects in-process and
through the engine process's pipe. Kept apart from host.py so the window can use these types
without importing multiprocessing before it is shown."""

from dataclasses import dataclass

from ..core.errors import AtelierError, GenerationCancelled, GenerationError, ModelError, RequestError
from ..core.recipe import Recipe


@dataclass(frozen=True)
class EngineOptions:
    device: str = "auto"
    precision: str = "auto"
    memory_mode: str = "normal"
    preview_every: int = 0  # 0: no previews


@dataclass(frozen=True)
class Picture:
    """Pixels that cross the pipe: 8-bit RGBA rows, ready for a QImage or a PIL image.
    ``alpha`` is False when the image had no transparency (its alpha bytes are all 255): the
    window then shows it as opaque, which it draws faster and without a checkerboard."""

    width: int
    height: int
    rgba: bytes
    alpha: bool = True

    @classmethod
    def of(cls, image) -> "Picture":
        alpha = "A" in image.getbands() or "transparency" in image.info
        rgba = image.convert("RGBA")
        return cls(rgba.width, rgba.height, rgba.tobytes(), alpha)


@dataclass(frozen=True)
class Status:
    text: str  # a line for the status bar: "Generating with ..."
    notice: bool = False  # worth a warning even on a terminal: a prompt longer than the model reads


@dataclass(frozen=True)
class Loading:
    model: str  # a model is being loaded: it was not in memory


@dataclass(frozen=True)
class Loaded:
    model: str
    device: str
    dtype: str


@dataclass(frozen=True)
class Progress:
    index: int  # which output of the request, 0-based
    count: int
    step: int  # steps finished for this output, 1..total
    total: int
    elapsed: float  # seconds since this output started


@dataclass(frozen=True)
class Preview:
    picture: Picture  # a cheap look at the output being made, after the Progress of its step


@dataclass(frozen=True)
class Artifact:
    """A finished output: its file (recipe inside, encoded in the engine), what it is, and a
    picture to show at once."""

    media_type: str  # "image/png" or "audio/flac"
    data: bytes
    recipe: Recipe
    picture: Picture | None = None
    peaks: bytes | None = None  # a sound's waveform peaks (media/peaks.py), made with it
    mask: bytes | None = None  # a picture's subject mask (core/mask_file.py), made with it

    @property
    def suffix(self) -> str:
        return _SUFFIXES[self.media_type]


@dataclass(frozen=True)
class Cancelled:
    step: int
    total: int

    def error(self) -> GenerationCancelled:
        return GenerationCancelled(self.step, self.total)


@dataclass(frozen=True)
class Failed:
    error_type: str  # the AtelierError subclass, so the CLI keeps its exit codes
    message: str

    @classmethod
    def of(cls, exc: AtelierError) -> "Failed":
        return cls(type(exc).__name__, str(exc))

    def error(self) -> AtelierError:
        return _ERRORS.get(self.error_type, GenerationError)(self.message)


Event = Status | Loading | Loaded | Progress | Preview | Artifact | Cancelled | Failed

_SUFFIXES = {"image/png": "png", "audio/flac": "flac"}
_ERRORS = {cls.__name__: cls for cls in (AtelierError, RequestError, ModelError, GenerationError)}
