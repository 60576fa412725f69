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

    def stepped(self, done: int, now: float, total: int | None = None,
                image_elapsed: float | None = None) -> Job | None:
        """The running job has ``done`` steps behind it of ``total`` (over all its images: the
        engine's count, which may differ from the request's). ``image_elapsed``, the engine's
        seconds into the image at the first step, tells when stepping began, so that the pace
        leaves out the model's loading."""
        job = self.running
        if job is None:
            return None
        job.step, job.elapsed = done, now - self._started
        if total:
            job.total = total
        if job.state is JobState.LOADING:
            job.move(JobState.RUNNING)
            if image_elapsed is not None:
                job.stepping_since = max(job.elapsed - image_elapsed, 0.0)
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

    def cancel_all_waiting(self) -> list[Job]:
        """Drop every job that has not started, in the order queued."""
        return [job for job in list(self.waiting()) if self.cancel_waiting(job.id)]

    def retry(self, job_id: str, model) -> Job | None:
        """Queue a failed or cancelled job again, at the end, as a new job on ``model`` (the
        caller finds it: a released job's model is forgotten); None if it is no such job."""
        job = self.find(job_id)
        if job is None or not job.state.retryable:
            return None
        again = job.again()
        self.add(again, model)
        return again

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
        """Forget the jobs that have ended, except one still leaving the engine (its outcome
        is known, its last answers are not)."""
        cleared = {job.id for job in self.jobs if job.state.finished and job is not self.running}
        for job_id in cleared:
            self._models.pop(job_id, None)  # a job cancelled while waiting kept its model until now
        self.jobs = [job for job in self.jobs if job.id not in cleared]
