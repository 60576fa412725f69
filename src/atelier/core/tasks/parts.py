"""The parts requests are built from. Each part checks its own fields; a request is the sum of
the parts its task needs, so a field means the same thing and is checked the same way in every
task that has it, and recipes stay flat per task (what other tools and the history read)."""

from dataclasses import dataclass

from ..errors import RequestError
from ..limits import MAX_BATCH, MAX_SECONDS, MAX_SEED, MAX_SIDE, MAX_STEPS  # noqa: F401  (re-exported)
from ..schedulers import DEFAULT_SCHEDULER, scheduler_spec


@dataclass(frozen=True, kw_only=True)
class Prompt:
    prompt: str = ""

    def _check_prompt(self) -> None:
        if not isinstance(self.prompt, str):
            raise RequestError("prompt: must be text")


@dataclass(frozen=True, kw_only=True)
class Prompting(Prompt):
    """A prompt and what to keep out of the result."""

    negative_prompt: str = ""

    def _check_prompting(self) -> None:
        if not isinstance(self.negative_prompt, str):
            raise RequestError("negative prompt: must be text")


@dataclass(frozen=True, kw_only=True)
class Seeding:
    """``seed=None`` means "draw one and record it". Each output of a batch is made on its own
    with seed, seed+1, ...: the seed alone makes any of them again."""

    seed: int | None = None
    batch_size: int = 1

    def _check_seeding(self) -> None:
        if not _is_int(self.batch_size) or not 1 <= self.batch_size <= MAX_BATCH:
            raise RequestError(f"batch {self.batch_size}: must be between 1 and {MAX_BATCH}")
        if self.seed is not None and (not _is_int(self.seed) or not 0 <= self.seed <= MAX_SEED):
            raise RequestError(f"seed {self.seed}: must be between 0 and {MAX_SEED}")


@dataclass(frozen=True, kw_only=True)
class Denoising(Seeding):
    steps: int = 25
    guidance: float = 7.0

    def _check_denoising(self) -> None:
        if not _is_int(self.steps) or not 1 <= self.steps <= MAX_STEPS:
            raise RequestError(f"steps {self.steps}: must be between 1 and {MAX_STEPS}")
        if not _is_number(self.guidance) or not 0 <= self.guidance <= 50:
            raise RequestError(f"guidance {self.guidance}: must be between 0 and 50")


@dataclass(frozen=True, kw_only=True)
class Sampling(Denoising):
    """Denoising with a choice of sampler (the image models' schedulers)."""

    scheduler: str = DEFAULT_SCHEDULER

    def _check_sampling(self) -> None:
        # The canonical spelling, so recipes always carry the same name for one sampler.
        object.__setattr__(self, "scheduler", scheduler_spec(self.scheduler).name)


@dataclass(frozen=True, kw_only=True)
class Size:
    width: int = 512
    height: int = 512

    def _check_size(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if not _is_int(value) or value <= 0 or value % 8 or value > MAX_SIDE:
                raise RequestError(f"{name} {value}: must be a multiple of 8 between 8 and {MAX_SIDE}")


@dataclass(frozen=True, kw_only=True)
class InitImage:
    """A picture to start from, stored in the project before the job runs: ``init_image`` is
    its asset name (``assets/<sha256>.png``). ``strength`` 0 keeps it as it is, 1 replaces it."""

    init_image: str = ""
    strength: float = 0.6

    def _check_init_image(self) -> None:
        check_input(self.init_image, "init image", "an image", "the init image")
        check_strength(self.strength)


def check_input(value, label: str, noun: str, again: str) -> None:
    """RequestError unless ``value`` names an asset stored in the project."""
    from ..project_io import ASSET_NAME

    if not isinstance(value, str) or ASSET_NAME.match(value) is None:
        raise RequestError(f"{label} {value!r}: must be {noun} stored in the project; choose {again} again")


def check_strength(value) -> None:
    if not _is_number(value) or not 0 <= value <= 1:
        raise RequestError(f"strength {value}: must be between 0 and 1")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True, kw_only=True)
class Duration:
    """How long a sound to make, in seconds. Each model has its own longest (the engine clamps
    to it and says so); this is the bound for any."""

    seconds: float = 10.0

    def _check_duration(self) -> None:
        if not _is_number(self.seconds) or not 0 < self.seconds <= MAX_SECONDS:
            raise RequestError(f"seconds {self.seconds}: must be more than 0 and at most {MAX_SECONDS:g}")
