"""The queue dock as an artist uses it, on the fake task through the real engine process: a
chip per state, per-row cancel and retry buttons, Cancel all, buttons enabled only when they can
act, the number waiting on the Generate button, one time left in the panel and the row, and rows
that fit a narrow dock."""

import shutil

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from test_queue_flows import finished, queue_fake, stored

from atelier import paths
from atelier.core.jobs import Job, JobState
from atelier.core.tasks import FakeRequest
from atelier.ui.queue import QueueView
from atelier.ui.queue_delegate import CANCEL, CHIPS, RETRY
from atelier.ui.theme import contrast_ratio


def row_of(view, job):
    """(row rect in the viewport, the delegate's layout of it), the row scrolled into view."""
    index = view.model.index(view.model.jobs.index(job))
    view.list.scrollTo(index)
    rect = view.list.visualRect(index)
    return rect, view.delegate.layout(rect, job, view.list.font())


def click_row_button(qtbot, view, job, action):
    _rect, row = row_of(view, job)
    assert row.action == action, f"{job.request.prompt}: {row.action} offered, not {action}"
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=row.button.center())


def chip_colour(view, job):
    """The colour painted inside the job's chip, by its left edge (the middle has its word)."""
    _rect, row = row_of(view, job)
    picture = view.list.viewport().grab().toImage()
    ratio = picture.devicePixelRatio()
    return picture.pixelColor(int((row.chip.left() + 3) * ratio), int(row.chip.center().y() * ratio)).name()


def enabled(view):
    return {name: getattr(view, f"{name}_button").isEnabled() for name in ("cancel", "cancel_all", "retry", "clear")}


def test_every_state_has_a_chip_of_its_own_colour(qtbot, window):
    view = window.queue
    window.resizeDocks([window.queue_dock], [520], Qt.Orientation.Vertical)  # room for five rows
    failed = queue_fake(window, fail_at_step=1, prompt="fails")
    done = queue_fake(window, prompt="done")
    # The fake task reports its first step after one step's time: until then the job is loading.
    slow = queue_fake(window, steps=400, step_seconds=1.5, prompt="slow")
    waiting = queue_fake(window, prompt="waits")
    cancelled = queue_fake(window, prompt="cancelled")
    window.generation.cancel_job(cancelled.id)
    qtbot.waitUntil(lambda: finished(failed, done) and slow.state is JobState.LOADING, timeout=30_000)
    colours = {job.state: chip_colour(view, job) for job in (failed, done, slow, waiting, cancelled)}
    qtbot.waitUntil(lambda: slow.state is JobState.RUNNING, timeout=10_000)
    colours[JobState.RUNNING] = chip_colour(view, slow)

    assert set(colours) == set(JobState)
    assert len(set(colours.values())) == len(JobState), colours
    window.generation.cancel_all()
    qtbot.waitUntil(lambda: finished(slow, waiting) and window.running_job is None, timeout=30_000)


def test_chip_words_read_on_their_colour_in_either_theme():
    """Solid chips carry their own text colour, so the theme cannot make them unreadable."""
    for word, fill, ink in CHIPS.values():
        if fill is not None:
            assert contrast_ratio(fill, ink) >= 4.5, (word, fill.name(), ink.name())


def test_a_rows_cancel_button_cancels_that_job_waiting_or_running(qtbot, window):
    view = window.queue
    running = queue_fake(window, steps=400, step_seconds=0.05, prompt="running")
    waiting = queue_fake(window, prompt="waiting")
    qtbot.waitUntil(lambda: running.state is JobState.RUNNING, timeout=30_000)

    click_row_button(qtbot, view, waiting, CANCEL)
    assert waiting.state is JobState.CANCELLED and running.state is JobState.RUNNING
    assert view.selected_job() is None  # a click on a row's button does not select it
    click_row_button(qtbot, view, running, CANCEL)
    qtbot.waitUntil(lambda: finished(running), timeout=30_000)
    assert running.state is JobState.CANCELLED and running.step < 400
    assert row_of(view, running)[1].action == RETRY  # a cancelled row offers a retry instead


def test_cancel_all_stops_the_running_job_and_drops_the_waiting_ones(qtbot, window):
    view = window.queue
    assert enabled(view) == {"cancel": False, "cancel_all": False, "retry": False, "clear": False}
    running = queue_fake(window, steps=400, step_seconds=0.05, prompt="running")
    waiting = [queue_fake(window, prompt=f"waiting {n}") for n in range(2)]
    assert window.panel.generate_button.text() == "Generate (2 queued)"
    assert enabled(view)["cancel_all"] and not enabled(view)["cancel"]  # nothing selected yet
    qtbot.waitUntil(lambda: running.step > 0, timeout=30_000)

    qtbot.mouseClick(view.cancel_all_button, Qt.MouseButton.LeftButton)
    assert [job.state for job in waiting] == [JobState.CANCELLED] * 2  # at once
    assert window.panel.generate_button.text() == "Generate"
    qtbot.waitUntil(lambda: finished(running) and window.running_job is None, timeout=30_000)
    assert running.state is JobState.CANCELLED
    assert enabled(view) == {"cancel": False, "cancel_all": False, "retry": False, "clear": True}
    qtbot.mouseClick(view.clear_button, Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == 0 and not enabled(view)["clear"]


def test_buttons_follow_the_selection_and_the_jobs(qtbot, window):
    view = window.queue
    failing = queue_fake(window, fail_at_step=2, prompt="fails")
    running = queue_fake(window, steps=400, step_seconds=0.05, prompt="running")
    qtbot.waitUntil(lambda: finished(failing) and running.state is JobState.RUNNING, timeout=30_000)

    view.select(running)
    assert enabled(view) == {"cancel": True, "cancel_all": True, "retry": False, "clear": True}
    view.select(failing)
    assert enabled(view) == {"cancel": False, "cancel_all": True, "retry": True, "clear": True}
    view.select(running)
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: finished(running), timeout=30_000)
    # The selected job was cancelled: it may be retried now, and nothing is left to cancel.
    assert enabled(view) == {"cancel": False, "cancel_all": False, "retry": True, "clear": True}


def test_a_failed_job_retried_from_the_button_runs_again_as_a_new_job(qtbot, window):
    view = window.queue
    failing = queue_fake(window, fail_at_step=2, prompt="fails")
    qtbot.waitUntil(lambda: finished(failing) and window.running_job is None, timeout=30_000)
    view.select(failing)

    qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
    again = view.model.jobs[-1]
    assert again is not failing and again.request == failing.request and len(view.model.jobs) == 2
    qtbot.waitUntil(lambda: finished(again), timeout=30_000)
    assert again.state is JobState.FAILED and "failed at step 2" in again.message  # the same request
    assert failing.state is JobState.FAILED  # the first try stays as it ended


def test_a_cancelled_job_retried_from_its_row_makes_its_image(qtbot, window):
    view = window.queue
    running = queue_fake(window, steps=400, step_seconds=0.05, prompt="running")
    cancelled = queue_fake(window, prompt="cancelled, then retried", seed=7)
    window.generation.cancel_job(cancelled.id)
    window.generation.cancel_job(running.id)
    qtbot.waitUntil(lambda: finished(running) and window.running_job is None, timeout=30_000)

    click_row_button(qtbot, view, cancelled, RETRY)
    again = view.model.jobs[-1]
    assert again.request == cancelled.request and again.state is not JobState.CANCELLED
    qtbot.waitUntil(lambda: finished(again) and stored(window) == 1, timeout=30_000)
    assert again.state is JobState.DONE
    assert [e.prompt for e in window.project.entries if e.outputs] == ["cancelled, then retried"]


def test_a_retry_says_so_when_its_model_is_gone(qtbot, window):
    failing = queue_fake(window, fail_at_step=1)
    qtbot.waitUntil(lambda: finished(failing) and window.running_job is None, timeout=30_000)
    shutil.rmtree(paths.models_dir() / "tiny-sd15")
    window.generation.scan([paths.models_dir()])
    qtbot.waitUntil(lambda: window.generation.models == [], timeout=10_000)

    window.generation.retry(failing.id)
    assert window.generation.jobs.jobs == [failing]  # nothing queued
    assert "tiny-sd15 is no longer installed" in window.panel.message_label.text()


def test_the_generate_button_counts_the_jobs_waiting(qtbot, window):
    button = window.panel.generate_button
    running = queue_fake(window, steps=400, step_seconds=0.05)
    assert button.text() == "Generate"  # the running one is not waiting
    first, second = queue_fake(window, prompt="first"), queue_fake(window, prompt="second")
    assert button.text() == "Generate (2 queued)"
    window.generation.cancel_job(first.id)
    assert button.text() == "Generate (1 queued)"
    window.generation.cancel_job(running.id)
    qtbot.waitUntil(lambda: second.state is not JobState.QUEUED, timeout=30_000)
    assert button.text() == "Generate"  # the last one left the queue for the engine
    qtbot.waitUntil(lambda: finished(running, second), timeout=30_000)


def test_the_panel_and_the_queue_row_say_the_same_time_left(qtbot, window):
    job = queue_fake(window, steps=40, step_seconds=0.05, batch_size=2, prompt="a pair")
    seen = []

    def note(text, _value, _maximum):  # after the panel's own slot: both show this step now
        if text and "left" in text:
            _rect, row = row_of(window.queue, job)
            seen.append((window.panel.progress_bar.format(), [words for _r, words, _k in row.lines], row.eta))

    window.generation.progress.connect(note)
    qtbot.waitUntil(lambda: any("image 2/2" in panel for panel, _lines, _eta in seen), timeout=30_000)
    window.generation.progress.disconnect(note)
    qtbot.waitUntil(lambda: finished(job) and window.running_job is None, timeout=30_000)

    for panel, lines, eta in seen:
        assert eta is not None and panel.endswith(eta[1])  # the same words for the time left
        where = panel[:-len(eta[1])].rstrip(" ·")
        assert where in lines, (panel, lines)  # and for where the job is
    assert seen[0][0].startswith("image 1/2 · step ")
    assert window.panel.progress_bar.value() == window.panel.progress_bar.maximum()  # done: full


def test_rows_fit_a_narrow_dock_without_cutting_or_covering_text(qtbot, window):
    prompt = "a very long prompt about a lighthouse on a cliff at dusk, oil painting, warm light"
    failing = queue_fake(window, fail_at_step=1, prompt=prompt)
    running = queue_fake(window, steps=400, step_seconds=0.05, batch_size=3, prompt=prompt)
    waiting = queue_fake(window, prompt="short")
    qtbot.waitUntil(lambda: finished(failing) and running.step > 2, timeout=30_000)

    narrow = QueueView(window.generation.queue_model)  # the same queue, in a 220 px wide dock
    qtbot.addWidget(narrow)
    narrow.resize(220, 420)
    narrow.show()
    qtbot.waitExposed(narrow)
    assert narrow.minimumSizeHint().width() <= 220  # the buttons under the list fit too
    fm = QFontMetrics(narrow.list.font())
    for job in (failing, running, waiting):
        rect, row = row_of(narrow, job)
        assert rect.width() <= 220 and row.bar.bottom() <= rect.bottom()  # nothing below the row's end
        assert row.chip.right() < row.prompt.left() and (row.button is None or row.prompt.right() < row.button.left())
        texts = [(row.prompt, row.prompt_text), *((r, words) for r, words, _kind in row.lines)]
        if row.eta is not None:
            texts.append(row.eta)
        for text_rect, words in texts:
            assert rect.contains(text_rect), (words, text_rect, rect)
            assert fm.horizontalAdvance(words) <= text_rect.width(), words
            for other in (row.chip, row.button or QRect()):
                assert not text_rect.intersects(other), (words, text_rect, other)
        lines = [words for _r, words, _k in row.lines]
        assert lines[0] == "tiny-sd15"  # the model, whole, on a line of its own
    assert row_of(narrow, running)[1].prompt_text.endswith("…  ×3")  # elided at the end, the count kept
    eta = row_of(narrow, running)[1].eta
    assert eta is not None and eta[1] == running.progress()[1]  # the time left is never cut
    assert row_of(narrow, failing)[1].lines[1][1].startswith("the fake task")  # why it failed, elided at the end
    narrow.close()
    window.generation.cancel_all()
    qtbot.waitUntil(lambda: finished(running, waiting) and window.running_job is None, timeout=30_000)


def test_a_model_name_that_fits_its_line_is_never_cut(qtbot, window):
    delegate, font = window.queue.list.itemDelegate(), window.queue.list.font()
    # "tiny-ace-step" was cut to "tiny-ace-st…" at 321 px: its width is a fraction of a pixel more
    # than its rounded advance.
    for name in ("tiny-ace-step", "tiny-musicgen", "tiny-sd15", "stable-audio-open-1.0"):
        job = Job(FakeRequest(prompt="a prompt"), "model-id", name)
        for width in range(300, 700):  # wide enough for the model beside the state, at every pixel
            row = delegate.layout(QRect(0, 0, width, 80), job, font)
            assert [words for _r, words, kind in row.lines if kind == "dim"] == [name], (name, width)
