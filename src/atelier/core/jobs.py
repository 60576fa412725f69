"""Generation requests (immutable snapshots taken on the UI thread and handed to the engine)
and the jobs that carry them through the queue."""

from dataclasses import asdict, dataclass, field
from enum import Enum

from .errors import RequestError
from .project import new_id
from .schedulers import DEFAULT_SCHEDULER, scheduler_spec

MAX_SIDE = 4096
MAX_STEPS = 500
MAX_BATCH = 64
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class ImageRequest:
    """Everything the artist asked for. ``seed=None`` means "draw one and record it"."""

    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    steps: int = 25
    guidance: float = 7.0
    width: int = 512
    height: int = 512
    scheduler: str = DEFAULT_SCHEDULER
    batch_size: int = 1

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise RequestError naming the first field that is out of range."""
        if not isinstance(self.prompt, str):
            raise RequestError("prompt: must be text")
        for name, value in (("width", self.width), ("height", self.height)):
            if not isinstance(value, int) or value <= 0 or value % 8 or value > MAX_SIDE:
                raise RequestError(
                    f"{name} {value}: must be a multiple of 8 between 8 and {MAX_SIDE}"
                )
        if not isinstance(self.steps, int) or not 1 <= self.steps <= MAX_STEPS:
            raise RequestError(f"steps {self.steps}: must be between 1 and {MAX_STEPS}")
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= MAX_BATCH:
            raise RequestError(f"batch {self.batch_size}: must be between 1 and {MAX_BATCH}")
        if not isinstance(self.guidance, (int, float)) or not 0 <= self.guidance <= 50:
            raise RequestError(f"guidance {self.guidance}: must be between 0 and 50")
        if self.seed is not None and (
            not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED
        ):
            raise RequestError(f"seed {self.seed}: must be between 0 and {MAX_SEED}")
        # Normalise the name's case so recipes always carry the canonical spelling.
        object.__setattr__(self, "scheduler", scheduler_spec(self.scheduler).name)

    def to_dict(self) -> dict:
        return asdict(self)


class JobState(str, Enum):
    QUEUED = "queued"
    LOADING = "loading model"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.CANCELLED, JobState.FAILED)


# The only moves a job can make; anything else is a bug in the caller.
_MOVES = {
    JobState.QUEUED: {JobState.LOADING, JobState.RUNNING, JobState.CANCELLED, JobState.FAILED},
    JobState.LOADING: {JobState.RUNNING, JobState.DONE, JobState.CANCELLED, JobState.FAILED},
    JobState.RUNNING: {JobState.DONE, JobState.CANCELLED, JobState.FAILED},
}


@dataclass
class Job:
    """One queued request and where it stands. The window reads it; only its owner moves it."""

    request: ImageRequest
    model_id: str
    model_name: str
    id: str = field(default_factory=new_id)
    state: JobState = JobState.QUEUED
    step: int = 0  # steps done over all images of the request
    total: int = 0
    elapsed: float = 0.0
    message: str = ""
    reproduce_of: str | None = None  # an output id: make it again and compare, don't add to history

    def move(self, state: JobState, message: str = "") -> None:
        if state not in _MOVES.get(self.state, set()):
            raise ValueError(f"job {self.id[:8]} cannot go from {self.state.value} to {state.value}")
        self.state = state
        self.message = message

    @property
    def eta(self) -> float | None:
        """Seconds left, from the pace so far; None before the first step."""
        if self.step <= 0 or self.total <= 0:
            return None
        return self.elapsed / self.step * (self.total - self.step)

    def describe(self) -> str:
        """The one-line status a person reads in the queue."""
        if self.state is JobState.RUNNING and self.total:
            eta = f", {self.eta:.0f} s left" if self.eta is not None else ""
            return f"running {self.step}/{self.total}{eta}"
        if self.state in (JobState.FAILED, JobState.CANCELLED) and self.message:
            return f"{self.state.value}: {self.message}"
        return self.state.value
