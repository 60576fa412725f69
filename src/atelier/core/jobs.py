"""Jobs: a request on its way through the queue, and where it stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from .project import new_id

if TYPE_CHECKING:  # only named here: the window's queue is made before any request type is loaded
    from .tasks import Request


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

    @property
    def retryable(self) -> bool:
        """Ended without its outputs: worth another try."""
        return self in (JobState.CANCELLED, JobState.FAILED)


# The only moves a job can make; anything else is a bug in the caller.
_MOVES = {
    JobState.QUEUED: {JobState.LOADING, JobState.RUNNING, JobState.CANCELLED, JobState.FAILED},
    JobState.LOADING: {JobState.RUNNING, JobState.DONE, JobState.CANCELLED, JobState.FAILED},
    JobState.RUNNING: {JobState.DONE, JobState.CANCELLED, JobState.FAILED},
}


@dataclass
class Job:
    """One queued request and where it stands. The window reads it; only its owner moves it."""

    request: Request
    model_id: str
    model_name: str
    id: str = field(default_factory=new_id)
    state: JobState = JobState.QUEUED
    step: int = 0  # steps done over all images of the request
    total: int = 0
    elapsed: float = 0.0  # seconds since it left the queue, its model's loading included
    stepping_since: float = 0.0  # seconds after it left the queue that its first step began
    message: str = ""
    reproduce_of: str | None = None  # an output id: make it again and compare, don't add to history
    source: str | None = None  # an output id: what this job starts from (a variation's), linked in the history
    # Models it uses besides its own, by id (an upscale's refining model): the engine's ModelInfos.
    extra_models: dict = field(default_factory=dict)

    def move(self, state: JobState, message: str = "") -> None:
        if state not in _MOVES.get(self.state, set()):
            raise ValueError(f"job {self.id[:8]} cannot go from {self.state.value} to {state.value}")
        self.state = state
        self.message = message

    def again(self) -> "Job":
        """A new job for the same request on the same model from the same source: the retry of
        a failed or cancelled one, which itself stays as it ended."""
        if not self.state.retryable:
            raise ValueError(f"job {self.id[:8]} is {self.state.value}: only a failed or cancelled job is retried")
        return Job(self.request, self.model_id, self.model_name, reproduce_of=self.reproduce_of, source=self.source,
                   extra_models=self.extra_models)

    @property
    def eta(self) -> float | None:
        """Seconds left for the whole job (every image), from the pace of its steps so far, the
        model's loading left out; None before the first step."""
        if self.step <= 0 or self.total <= 0:
            return None
        return max(self.elapsed - self.stepping_since, 0.0) / self.step * (self.total - self.step)

    @property
    def label(self) -> str:
        """What sets this job apart from a plain request, if anything: the output it remakes
        (by its seed), or what it makes from another output (variations, a generative fill)."""
        if self.reproduce_of is not None:
            seed = getattr(self.request, "seed", None)  # an upscale or a removed background may draw no noise
            return "Reproduce" if seed is None else f"Reproduce · seed {seed}"
        if self.source is not None:
            return self.request.made_from_label
        return ""

    @property
    def headline(self) -> str:
        """The first words of the job's row: its prompt on one line; for one without (an upscale,
        a removed background), what it makes of its source."""
        prompt = getattr(self.request, "prompt", "").replace("\n", " ").strip()
        if prompt:
            return prompt
        return self.request.made_from_label if self.source is not None else "(no prompt)"

    def progress(self) -> tuple[str, str]:
        """Where the running job stands and the time it has left, e.g. ("image 2/3 · step 4/20",
        "12 s left"): the words the progress bar and the queue both show. Empty before steps."""
        if self.state is not JobState.RUNNING or self.total <= 0:
            return "", ""
        images = self.request.images
        per_image = max(1, self.total // images)
        index = min(max(self.step - 1, 0) // per_image, images - 1)
        where = f"{self.request.progress_unit} {self.step - index * per_image}/{per_image}"
        if images > 1:
            noun = "sound" if self.request.kind == "audio" else "image"
            where = f"{noun} {index + 1}/{images} · {where}"
        eta = self.eta
        return where, "" if eta is None else f"{_duration(eta)} left"

    def progress_text(self) -> str:
        return " · ".join(part for part in self.progress() if part)

    def detail(self) -> str:
        """What to say besides the state: progress while running, why it ended otherwise."""
        if self.state is JobState.RUNNING:
            return self.progress_text()
        if self.state is JobState.LOADING:
            return "loading the model"
        if self.state.retryable:
            return self.message
        return ""

    def describe(self) -> str:
        """The one-line status a person reads: the state, and the detail if there is one."""
        if self.state is JobState.RUNNING and self.total:
            return f"running · {self.progress_text()}"
        if self.state.retryable and self.message:
            return f"{self.state.value}: {self.message}"
        return self.state.value


def _duration(seconds: float) -> str:
    """"12 s", "3 min 05 s": a time left, in the units a person reads at a glance."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
