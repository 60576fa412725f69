"""The window's queue, cancel and failure flows on the fake task (solid colours at a set pace,
through the real engine process): fast, and about the window, not about generation."""

from PySide6.QtCore import Qt

from atelier.core.jobs import JobState
from atelier.core.tasks import FakeRequest


def queue_fake(window, **values):
    request = FakeRequest(**{"prompt": "fake", "steps": 4, "step_seconds": 0.02, "width": 16, "height": 16,
                             "seed": 1, **values})
    window.generation.queue(request, window.panel.current_model())
    return window.generation.jobs.jobs[-1]


def finished(*jobs) -> bool:
    return all(job.state.finished for job in jobs)


def stored(window) -> int:
    return sum(len(e.outputs) for e in window.project.entries)


def test_queued_jobs_run_in_order_and_a_waiting_one_cancels_at_once(qtbot, window):
    first = queue_fake(window, steps=30, step_seconds=0.05, prompt="first")
    second = queue_fake(window, prompt="second")
    third = queue_fake(window, prompt="third", batch_size=2)
    assert second.state is JobState.QUEUED
    window.generation.cancel_job(second.id)
    assert second.state is JobState.CANCELLED  # never reached the engine
    qtbot.waitUntil(lambda: finished(first, third) and window.running_job is None, timeout=30_000)
    assert (first.state, third.state) == (JobState.DONE, JobState.DONE)
    assert [e.prompt for e in window.project.entries if e.outputs] == ["first", "third"]
    qtbot.waitUntil(lambda: stored(window) == 3, timeout=5_000)
    row = window.generation.queue_model.index(1, 0)
    assert "cancelled" in row.data(Qt.ItemDataRole.DisplayRole)


def test_cancelling_the_running_job_stops_it_and_the_next_one_runs(qtbot, window):
    running = queue_fake(window, steps=400, step_seconds=0.05)
    after = queue_fake(window, prompt="after")
    qtbot.waitUntil(lambda: running.state is JobState.RUNNING and running.step > 0, timeout=30_000)
    qtbot.mouseClick(window.panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: finished(running, after), timeout=30_000)
    assert running.state is JobState.CANCELLED and after.state is JobState.DONE
    assert running.step < 400
    assert "cancelled" in window.panel.message_label.text().lower() or running.message


def test_a_failing_job_says_why_in_one_line_and_the_queue_goes_on(qtbot, window):
    failing = queue_fake(window, fail_at_step=2)
    after = queue_fake(window, prompt="after")
    qtbot.waitUntil(lambda: finished(failing, after), timeout=30_000)
    assert failing.state is JobState.FAILED and after.state is JobState.DONE
    assert "the fake task failed at step 2" in failing.message
    qtbot.waitUntil(lambda: stored(window) == 1, timeout=5_000)
    text = window.generation.queue_model.index(0, 0).data(Qt.ItemDataRole.DisplayRole)
    assert "failed" in text and "step 2" in text


def test_the_status_bar_never_keeps_a_state_that_is_over(qtbot, window):
    """"Starting the engine ...", "Painting ..." (the fake task's "Generating with ...") and
    "Loading ..." are replaced when what they describe ends."""
    qtbot.waitUntil(lambda: window.engine_label.text().startswith("Engine ready"), timeout=30_000)
    assert window.statusBar().currentMessage() != "Starting the engine ..."
    assert window.panel.progress_bar.format() == "Ready"  # the panel says the same as the status bar

    def ends(job, state, words):
        qtbot.waitUntil(lambda: finished(job) and window.running_job is None, timeout=30_000)
        assert job.state is state
        message = window.statusBar().currentMessage()
        assert not message.startswith(("Painting", "Generating", "Loading", "Starting")), message
        assert any(word in message for word in words), message

    ends(queue_fake(window, fail_at_step=2), JobState.FAILED, ["Failed"])
    running = queue_fake(window, steps=400, step_seconds=0.05)
    qtbot.waitUntil(lambda: running.state is JobState.RUNNING and running.step > 0, timeout=30_000)
    window.generation.cancel_running()
    ends(running, JobState.CANCELLED, ["Cancelled"])
    bar = window.panel.progress_bar
    assert (bar.format(), bar.value()) == ("Cancelled", 0)  # not left part full
    ends(queue_fake(window), JobState.DONE, ["Done in", "stored in the project"])


def test_a_job_that_starts_the_engine_leaves_it_described_as_ready(qtbot, user_home, sd15_dir, monkeypatch):
    """No warm-up ran (the artist was quicker): the job starts the engine, and the status bar
    must not go on saying it was never started."""
    import shutil

    from window_driver import close_window, open_window

    from atelier import paths
    from atelier.ui.controllers.generation import GenerationController

    monkeypatch.setattr(GenerationController, "warm", lambda self: None)
    shutil.copytree(sd15_dir, paths.models_dir() / "tiny-sd15")
    window = open_window(qtbot)
    try:
        assert window.engine_label.text() == "Engine: not started"
        job = queue_fake(window)
        qtbot.waitUntil(lambda: finished(job) and window.running_job is None, timeout=30_000)
        assert window.engine_label.text() == "Engine ready"
    finally:
        close_window(qtbot, window)
