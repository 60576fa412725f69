"""What crosses between the window's process and the engine process: options in, pictures and
finished images out, and the callbacks a caller hears them through. Kept apart from host.py so
the window can use these types without importing multiprocessing before it is shown."""

from collections.abc import Callable
from dataclasses import dataclass

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
class FinishedImage:
    png: bytes  # with the recipe in its metadata, encoded in the child
    picture: Picture
    recipe: Recipe


@dataclass
class EngineCallbacks:
    """What the caller hears during a job; every callback runs on the calling thread."""

    on_status: Callable[[str], None] = lambda text: None
    on_loading: Callable[[str], None] = lambda model: None  # a model is being loaded (not cached)
    on_loaded: Callable[[str, str, str], None] = lambda model, device, dtype: None  # name, device, dtype
    on_step: Callable[[int, int, int, int, float], None] = lambda index, count, step, total, elapsed: None
    on_preview: Callable[[Picture], None] = lambda picture: None
    on_image: Callable[[FinishedImage], None] = lambda image: None
