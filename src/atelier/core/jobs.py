"""Jobs: a request on its way through the queue, and where it stands."""

from dataclasses import dataclass, field
from enum import Enum

from .project import new_id
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
    elapsed: float = 0.0
    message: str = ""
    reproduce_of: str | None = None  # an output id: make it again and compare, don't add to history
    source: str | None = None  # an output id: what this job starts from (a variation's), linked in the history

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
