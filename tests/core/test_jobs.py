"""Requests validate their fields; jobs move only along the state machine."""

import pytest

from atelier.core.errors import RequestError
from atelier.core.jobs import Job, JobState
from atelier.core.tasks import TextToImageRequest


def job(**request) -> Job:
    return Job(TextToImageRequest(prompt="a cat", steps=10, **request), "m", "Model")


def test_a_job_runs_to_done_with_progress_and_eta():
    j = job()
    assert j.describe() == "queued" and j.eta is None
    j.move(JobState.LOADING)
    assert j.describe() == "loading model"
    j.move(JobState.RUNNING)
    j.step, j.total, j.elapsed = 4, 10, 2.0
    assert j.eta == pytest.approx(3.0)
    assert j.describe() == "running 4/10, 3 s left"
    j.move(JobState.DONE)
    assert j.state.finished


@pytest.mark.parametrize("state", [JobState.DONE, JobState.CANCELLED, JobState.FAILED])
def test_a_finished_job_never_moves_again(state):
    j = job()
    j.move(JobState.RUNNING)
    j.move(state, "why")
    with pytest.raises(ValueError, match=f"cannot go from {state.value} to running"):
        j.move(JobState.RUNNING)


def test_a_queued_job_can_be_cancelled_and_says_why_it_failed():
    cancelled, failed = job(), job()
    cancelled.move(JobState.CANCELLED)
    failed.move(JobState.FAILED, "model folder missing")
    assert cancelled.describe() == "cancelled"
    assert failed.describe() == "failed: model folder missing"
    assert cancelled.id != failed.id


@pytest.mark.parametrize(
    "field, value, words",
    [("width", 100, "width 100: must be a multiple of 8"), ("steps", 0, "steps 0: must be between 1 and 500"),
     ("batch_size", 0, "batch 0"), ("guidance", 51, "guidance 51"), ("seed", -1, "seed -1")],
)
def test_bad_request_fields_are_named(field, value, words):
    with pytest.raises(RequestError, match=words):
        TextToImageRequest(prompt="x", **{field: value})
