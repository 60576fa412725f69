"""The job queue's rules, without a window: one job at a time, oldest first, a waiting job
cancelled at once, the running one's first outcome kept, and the model each job needs."""

import pytest

from atelier.core.jobs import Job, JobState
from atelier.core.queue import JobQueue
from atelier.core.tasks import TextToImageRequest


def queued(queue: JobQueue, prompt: str, model="model-a", steps=4, batch=1) -> Job:
    job = Job(TextToImageRequest(prompt=prompt, steps=steps, batch_size=batch), model, model)
    queue.add(job, model)
    return job


def test_one_job_runs_at_a_time_oldest_first_on_its_own_model():
    queue = JobQueue()
    first, second = queued(queue, "first", steps=4, batch=2), queued(queue, "second", model="model-b")

    assert queue.start_next(now=10.0) is first
    assert first.state is JobState.LOADING and first.total == 8
    assert queue.start_next(now=11.0) is None  # the engine is busy
    assert queue.model_of(first) == "model-a" and queue.model_of(second) == "model-b"

    assert queue.release() is first and first.state is JobState.DONE  # nothing else was said
    assert queue.start_next(now=12.0) is second and queue.running is second
    assert list(queue.waiting()) == []


def test_steps_move_a_loading_job_to_running_with_its_pace():
    queue = JobQueue()
    job = queued(queue, "paced", steps=10)
    queue.start_next(now=100.0)

    assert queue.stepped(4, now=102.0) is job
    assert job.state is JobState.RUNNING and job.step == 4 and job.elapsed == pytest.approx(2.0)
    assert job.eta == pytest.approx(3.0)  # 0.5 s a step, 6 steps to go
    assert queue.seconds_running(now=103.0) == pytest.approx(3.0)


def test_a_waiting_job_is_cancelled_at_once_and_never_starts():
    queue = JobQueue()
    running, waiting = queued(queue, "running"), queued(queue, "waiting")
    queue.start_next(now=0.0)

    assert queue.cancel_waiting(running.id) is None  # the running one is the engine's to stop
    assert queue.cancel_waiting(waiting.id) is waiting and waiting.state is JobState.CANCELLED
    queue.release()
    assert queue.start_next(now=1.0) is None


def test_the_running_jobs_first_outcome_is_kept():
    queue = JobQueue()
    job = queued(queue, "fails")
    queue.start_next(now=0.0)

    assert queue.finish(JobState.FAILED, "out of memory") is job
    assert queue.finish(JobState.DONE) is None  # the engine's "done" after a failure changes nothing
    queue.release()
    assert job.state is JobState.FAILED and job.message == "out of memory"
    assert job.describe() == "failed: out of memory"


def test_clearing_keeps_what_has_not_finished():
    queue = JobQueue()
    done, running, waiting = queued(queue, "done"), queued(queue, "running"), queued(queue, "waiting")
    queue.start_next(now=0.0)
    queue.release()
    queue.start_next(now=1.0)

    queue.clear_finished()
    assert queue.jobs == [running, waiting] and done.state is JobState.DONE


def test_the_pace_starts_when_the_steps_do_and_follows_the_engines_count():
    queue = JobQueue()
    job = queued(queue, "slow to load", steps=10)
    queue.start_next(now=0.0)

    queue.stepped(1, now=20.5, total=12, image_elapsed=0.5)  # 20 s loading, then 0.5 s a step
    assert (job.total, job.stepping_since) == (12, pytest.approx(20.0))
    assert job.eta == pytest.approx(5.5)  # 11 steps to go, not 11 x 20.5 s
    queue.stepped(3, now=21.5)
    assert job.eta == pytest.approx(4.5) and job.stepping_since == pytest.approx(20.0)


def test_cancel_all_drops_every_waiting_job_but_not_the_running_one():
    queue = JobQueue()
    running, first, second = queued(queue, "running"), queued(queue, "first"), queued(queue, "second")
    queue.start_next(now=0.0)

    assert queue.cancel_all_waiting() == [first, second]
    assert running.state is JobState.LOADING
    assert (first.state, second.state) == (JobState.CANCELLED, JobState.CANCELLED)
    assert queue.cancel_all_waiting() == []


def test_a_failed_or_cancelled_job_is_retried_at_the_end_on_the_model_given():
    queue = JobQueue()
    failed, cancelled, waiting = queued(queue, "fails"), queued(queue, "cancelled"), queued(queue, "waiting")
    queue.start_next(now=0.0)
    queue.finish(JobState.FAILED, "out of memory")
    queue.release()
    queue.cancel_waiting(cancelled.id)

    again = queue.retry(failed.id, "model-a again")
    assert queue.jobs[-1] is again and again.state is JobState.QUEUED and again.request == failed.request
    assert queue.model_of(again) == "model-a again" and failed.state is JobState.FAILED
    assert queue.retry(cancelled.id, "model-a").request.prompt == "cancelled"
    assert queue.retry(waiting.id, "model-a") is None  # not ended: nothing to retry
    assert queue.retry("no such job", "model-a") is None
    assert queue.start_next(now=1.0) is waiting  # the retries wait their turn


def test_clearing_keeps_a_finished_job_until_the_engine_lets_it_go():
    queue = JobQueue()
    job = queued(queue, "fails")
    queue.start_next(now=0.0)
    queue.finish(JobState.FAILED, "oops")  # the engine's last answers are still on their way

    queue.clear_finished()
    assert queue.jobs == [job]
    queue.release()
    queue.clear_finished()
    assert queue.jobs == []
