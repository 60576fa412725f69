"""Requests validate their fields; jobs move only along the state machine."""

import pytest

from atelier.core.errors import RequestError
from atelier.core.jobs import Job, JobState
from atelier.core.tasks import InpaintRequest, TextToImageRequest


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
    assert j.describe() == "running · step 4/10 · 3 s left"
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


def test_a_batch_says_which_image_and_the_time_left_for_all_of_them():
    j = job(batch_size=3)  # 10 steps an image
    j.move(JobState.RUNNING)
    j.total, j.elapsed, j.stepping_since = 30, 25.0, 5.0  # 5 s loading, then 20 s for 12 steps
    for step, where in [(1, "image 1/3 · step 1/10"), (10, "image 1/3 · step 10/10"),
                        (12, "image 2/3 · step 2/10"), (30, "image 3/3 · step 10/10")]:
        j.step = step
        assert j.progress()[0] == where
    j.step = 12
    assert j.eta == pytest.approx(20 / 12 * 18)  # the loading is not part of the pace
    assert j.progress() == ("image 2/3 · step 2/10", "30 s left")
    assert j.describe() == "running · image 2/3 · step 2/10 · 30 s left"
    j.elapsed = 125.0
    assert j.progress()[1] == "3 min 00 s left"


def test_labels_tell_reproductions_and_variations_from_plain_requests():
    assert job().label == ""
    remake = Job(TextToImageRequest(prompt="a cat", seed=42), "m", "Model", reproduce_of="output-1")
    assert remake.label == "Reproduce · seed 42"
    assert Job(TextToImageRequest(prompt="a cat", batch_size=3), "m", "Model", source="o").label == "3 variations"
    asset = "assets/" + "0" * 64 + ".png"
    fill = InpaintRequest(prompt="a boat", init_image=asset, mask=asset)
    assert Job(fill, "m", "Model", source="o").label == "Generative fill"
    assert Job(fill.replace(batch_size=2), "m", "Model", source="o").label == "Generative fill · 2 images"


@pytest.mark.parametrize("state", [JobState.CANCELLED, JobState.FAILED])
def test_a_failed_or_cancelled_job_is_tried_again_as_a_new_job(state):
    j = Job(TextToImageRequest(prompt="a cat", seed=42), "m", "Model", source="output-1")
    j.move(state, "why")
    again = j.again()
    assert (again.request, again.model_id, again.source, again.state) == (j.request, "m", "output-1", JobState.QUEUED)
    assert again.id != j.id and j.state is state  # the old one stays as it ended


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.DONE])
def test_only_an_ended_and_unmade_job_is_retried(state):
    j = job()
    if state is JobState.DONE:
        j.move(JobState.RUNNING)
        j.move(JobState.DONE)
    with pytest.raises(ValueError, match="only a failed or cancelled job is retried"):
        j.again()


@pytest.mark.parametrize(
    "field, value, words",
    [("width", 100, "width 100: must be a multiple of 8"), ("steps", 0, "steps 0: must be between 1 and 500"),
     ("batch_size", 0, "batch 0"), ("guidance", 51, "guidance 51"), ("seed", -1, "seed -1")],
)
def test_bad_request_fields_are_named(field, value, words):
    with pytest.raises(RequestError, match=words):
        TextToImageRequest(prompt="x", **{field: value})
