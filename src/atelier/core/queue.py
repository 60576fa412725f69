"""The job queue, without Qt: every request queued, in order, which model each needs, which one
runs, and how far along it is. The window shows it and the engine runs its jobs; the rules
(one job at a time, oldest first, a waiting job cancelled at once) live here, testable alone.
"""

from collections.abc import Iterator

from .jobs import Job, JobState


class JobQueue:
    def __init__(self):
        self.jobs: list[Job] = []  # in the order queued, finished ones until cleared
        self.running: Job | None = None  # handed to the engine, and not yet released
        self._models: dict[str, object] = {}  # job id -> the model it needs (a ModelInfo)
        self._started: float | None = None  # clock time the running job started

    def add(self, job: Job, model) -> None:
        self.jobs.append(job)
        self._models[job.id] = model

    def model_of(self, job: Job):
        """The model ``job`` runs on."""
        return self._models[job.id]

    def find(self, job_id: str) -> Job | None:
        return next((job for job in self.jobs if job.id == job_id), None)

    def waiting(self) -> Iterator[Job]:
        return (job for job in self.jobs if job.state is JobState.QUEUED)

    def start_next(self, now: float) -> Job | None:
        """The oldest waiting job, now loading its model; None while one runs or none waits."""
        if self.running is not None:
            return None
        job = next(self.waiting(), None)
        if job is None:
            return None
        job.total = job.request.steps_per_image * job.request.images
        job.move(JobState.LOADING)
        self.running, self._started = job, now
        return job

    def stepped(self, done: int, now: float) -> Job | None:
        """The running job has ``done`` steps behind it (over all its images)."""
        job = self.running
        if job is None:
            return None
        job.step, job.elapsed = done, now - self._started
        if job.state is JobState.LOADING:
            job.move(JobState.RUNNING)
        return job

    def seconds_running(self, now: float) -> float:
        return 0.0 if self._started is None else now - self._started

    def cancel_waiting(self, job_id: str) -> Job | None:
        """Drop a job that has not started; None if there is no such job waiting."""
        job = self.find(job_id)
        if job is None or job.state is not JobState.QUEUED:
            return None
        job.move(JobState.CANCELLED)
        return job

    def finish(self, state: JobState, message: str = "") -> Job | None:
        """The running job's outcome; only its first word counts (a failure, then "done",
        stays a failure). None when no job runs or it has finished already."""
        job = self.running
        if job is None or job.state.finished:
            return None
        if state is JobState.DONE and job.state is JobState.LOADING:
            job.move(JobState.RUNNING)
        job.move(state, message)
        return job

    def release(self) -> Job | None:
        """The engine is free again: the running job (finished as done if nothing else was
        said) leaves the engine, and the next one may start."""
        job = self.running
        if job is not None:
            self.finish(JobState.DONE)
            self._models.pop(job.id, None)
        self.running = None
        return job

    def clear_finished(self) -> None:
        self.jobs = [job for job in self.jobs if not job.state.finished]
