"""One way to run a job, two places to run it: ``InProcessRunner`` here (tests, benchmarks)
and ``EngineHost`` in the engine child process (the window, the CLI, the selftest). Both take
the same ``EngineJob`` and report the same events; a new task is wired once, in engine/tasks.

``run`` returns when the job is done and raises GenerationCancelled after ``cancel()``, or the
AtelierError the task raised; outputs finished before that have already been reported.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..core.errors import AtelierError, GenerationCancelled, GenerationError
from ..core.tasks import Request
from .events import Cancelled, EngineOptions, Event, Failed, Loaded, Loading, Status
from .registry import ModelInfo

log = logging.getLogger(__name__)

OnEvent = Callable[[Event], None]


@dataclass(frozen=True)
class EngineJob:
    """A request, the model it runs on, and the bytes of the inputs it names (asset name ->
    bytes): the engine never reads a project itself."""

    info: ModelInfo | None  # None for tasks that need no model (the fake task, a Lanczos upscale)
    request: Request
    inputs: dict[str, bytes] = field(default_factory=dict)
    # Models the task uses besides ``info``, by id (the diffusion model that refines an upscale).
    extra_models: dict[str, ModelInfo] = field(default_factory=dict)

    def __post_init__(self):
        missing = set(self.request.inputs.values()) - set(self.inputs)
        if missing:
            raise GenerationError(f"the job's input {sorted(missing)[0]} was not handed to the engine")


class Runner(Protocol):
    def run(self, job: EngineJob, options: EngineOptions, on_event: OnEvent) -> None: ...

    def cancel(self) -> None: ...

    def reset_cancel(self) -> None: ...

    def shutdown(self) -> None: ...


@dataclass
class TaskContext:
    """What a task module gets: the job, a way to load its model, and the way back."""

    job: EngineJob
    options: EngineOptions
    cache: object  # loader.PipelineCache
    emit: OnEvent
    should_cancel: Callable[[], bool]

    def load(self, info: ModelInfo | None = None):
        """The base pipeline of the job's model (or of ``info``, one of its extra models), from
        the cache or loaded now, announced as it happens."""
        from .loader import dtype_for

        info = info or self.job.info
        wanted = (info, self.options.device, dtype_for(self.options.precision), self.options.memory_mode)
        if not self.cache.holds(*wanted):
            self.emit(Loading(info.name))
        loaded = self.cache.get(*wanted)
        self.emit(Loaded(info.name, loaded.device, loaded.dtype))
        self.emit(Status(f"Generating with {info.name} on {loaded.device} ..."))
        return loaded

    def input_bytes(self, asset: str) -> bytes:
        return self.job.inputs[asset]


def run_task(job: EngineJob, options: EngineOptions, cache, emit: OnEvent, should_cancel) -> None:
    """Run ``job`` with the task module registered for it (engine/tasks)."""
    from .tasks import task_module

    task_module(job.request.task).run(TaskContext(job, options, cache, emit, should_cancel), job.request)


def outcome_event(exc: BaseException) -> Cancelled | Failed:
    """How a job that raised ends, as the event that says so."""
    if isinstance(exc, GenerationCancelled):
        return Cancelled(exc.step, exc.total)
    if isinstance(exc, AtelierError):
        return Failed.of(exc)
    log.error("engine job crashed", exc_info=exc)  # a bug must still end the job with a message
    return Failed("GenerationError", f"unexpected engine error: {exc}")


class InProcessRunner:
    """Runs jobs on the calling thread, with its own pipeline cache."""

    def __init__(self, cache=None):
        from .loader import PipelineCache

        self.cache = cache if cache is not None else PipelineCache()
        self._cancelled = False

    def run(self, job: EngineJob, options: EngineOptions, on_event: OnEvent) -> None:
        try:
            run_task(job, options, self.cache, on_event, lambda: self._cancelled)
        except AtelierError:
            raise
        except Exception as exc:
            raise outcome_event(exc).error() from exc

    def cancel(self) -> None:
        self._cancelled = True

    def reset_cancel(self) -> None:
        self._cancelled = False

    def shutdown(self) -> None:
        self.cache.clear()
