"""The walking-skeleton window, driven like a person would with qtbot, on the real engine."""

import io
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from window_driver import choose, close_window, delivered, fill, generate_and_wait, heard, open_window

from atelier import paths
from atelier.core.jobs import Job, JobState
from atelier.core.metadata import read_recipe
from atelier.core.project_io import ProjectArchive
from atelier.core.recipe import settings_of
from atelier.core.session import crashed_sessions, sessions_dir
from atelier.core.tasks import TextToImageRequest
from atelier.ui import worker as engine_worker
from atelier.ui.main_window import MainWindow


def test_generate_stores_the_image_in_the_project_then_shows_it(qtbot, window):
    assert window.panel.model_combo.currentText().startswith("tiny-sd15")
    fill(qtbot, window, size=(64, 48))
    generate_and_wait(qtbot, window)
    assert window.panel.message_label.text() == ""
    assert window.canvas.image_size() == (64, 48)
    [entry] = window.project.entries
    [output] = entry.outputs
    assert entry.prompt == "a photo of a cat" and entry.model["id"] == "tiny-sd15"
    session = window.projects.worker.session
    assert (session.folder / output.asset).is_file()  # on disk in the working folder
    recipe = read_recipe(io.BytesIO(session.read_asset(output.asset)))
    assert (recipe.request.prompt, recipe.seed, recipe.request.width, recipe.request.height) == ("a photo of a cat", 5, 64, 48)
    assert window.isWindowModified() and window.windowTitle().startswith("Untitled")
    assert window.panel.generate_button.isEnabled() and not window.panel.cancel_button.isEnabled()
    assert window.panel.progress_bar.value() == window.panel.progress_bar.maximum()
    qtbot.wait(200)  # over two progress frames: no live preview still waiting covers the image
    assert window.canvas.current_image() == window.last_output.image


def test_ctrl_enter_generates_and_shows_previews_while_running(qtbot, window):
    fill(qtbot, window, steps=3)
    previews = []
    window.engine.worker.preview.connect(previews.append)
    with heard(qtbot, window.engine.worker.job_done, timeout=60_000):
        qtbot.keyClick(window.panel.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(previews) == 3  # counted in the engine thread, as each is emitted
    # The canvas shows them on the window's thread, which may not have got there yet.
    qtbot.waitUntil(lambda: window.canvas.image_size() == (64, 64), timeout=5_000)


def test_a_running_job_counts_its_steps_in_the_bar_and_in_its_queue_row_in_view(qtbot, window):
    for _ in range(15):  # earlier jobs fill the queue above the one that will run
        done = Job(TextToImageRequest(prompt="earlier"), "tiny-sd15", "tiny-sd15")
        done.move(JobState.CANCELLED)
        window.queue.model.add(done)
    fill(qtbot, window, steps=400)
    qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.running_job is not None and window.running_job.step >= 2, timeout=60_000)
    job, bar, rows = window.running_job, window.panel.progress_bar, window.queue.list
    qtbot.waitUntil(lambda: bar.value() >= 2, timeout=2_000)  # repainted at most every 80 ms
    assert bar.maximum() == 400 and "step" in bar.text()  # counting, not busy
    index = window.queue.model.index(window.queue.model.jobs.index(job))
    assert rows.visualRect(index).intersects(rows.viewport().rect())  # scrolled into view as it started
    assert "running" in index.data()
    with heard(qtbot, window.engine.worker.job_cancelled, timeout=10_000):
        qtbot.mouseClick(window.panel.cancel_button, Qt.MouseButton.LeftButton)


def test_the_bar_is_busy_only_while_a_model_really_loads(qtbot, window):
    job = Job(TextToImageRequest(prompt="a cat", steps=8), "tiny-sd15", "tiny-sd15")
    window.generation.jobs.add(job, None)
    window.generation.jobs.start_next(now=0.0)  # as _dispatch leaves it, without the engine; its signals follow
    bar = window.panel.progress_bar
    window.engine.worker.model_loading.emit("tiny-sd15")
    qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=2_000)  # busy (Qt shows no text then)
    assert window.statusBar().currentMessage() == "Loading tiny-sd15 ..."
    window.engine.worker.model_loaded.emit("tiny-sd15", "cpu", "float32")
    qtbot.waitUntil(lambda: bar.maximum() == 8 and bar.value() == 0, timeout=2_000)
    window.generation.jobs.release()


def test_cancel_stops_the_job_and_the_window_keeps_working(qtbot, window):
    fill(qtbot, window, steps=400)
    with heard(qtbot, window.engine.worker.step, timeout=60_000):
        qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)
    assert window.panel.cancel_button.isEnabled() and window.panel.generate_button.isEnabled()  # more can queue
    with heard(qtbot, window.engine.worker.job_cancelled, timeout=10_000):
        qtbot.mouseClick(window.panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.running_job is None, timeout=5_000)
    assert window.panel.message_label.text().startswith("Generation cancelled after step")
    assert window.panel.progress_bar.text() == "Cancelled" and not window.panel.cancel_button.isEnabled()
    assert window.queue.model.jobs[0].state is JobState.CANCELLED
    # and it still generates afterwards
    fill(qtbot, window)
    generate_and_wait(qtbot, window)
    assert window.canvas.image_size() == (64, 64)


def test_queue_three_jobs_and_cancel_the_second(qtbot, window):
    seeds = (101, 202, 303)
    for seed in seeds:
        fill(qtbot, window, seed=seed, steps=3)
        qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)
    first, second, third = window.queue.model.jobs
    assert [j.request.seed for j in (first, second, third)] == list(seeds)
    assert second.state is JobState.QUEUED and window.running_job is first
    window.queue.select(second)
    qtbot.mouseClick(window.queue.cancel_button, Qt.MouseButton.LeftButton)
    assert second.state is JobState.CANCELLED
    qtbot.waitUntil(lambda: third.state.finished, timeout=60_000)
    assert (first.state, third.state) == (JobState.DONE, JobState.DONE)
    qtbot.waitUntil(lambda: sum(len(e.outputs) for e in window.project.entries) == 2, timeout=10_000)
    stored = [e.outputs[0].recipe["request"]["seed"] for e in window.project.entries if e.outputs]
    assert stored == [101, 303]
    labels = [window.queue.model.index(i).data() for i in range(3)]
    assert labels[1].endswith("· cancelled") and labels[2].endswith("· done")


def test_a_failing_model_shows_its_error_in_the_queue_and_the_next_job_runs(qtbot, window, sd15_dir):
    weights = paths.models_dir() / "tiny-sd15" / "unet" / "diffusion_pytorch_model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(good[:1000])
    fill(qtbot, window)
    qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)
    [broken] = window.queue.model.jobs
    qtbot.waitUntil(lambda: broken.state.finished, timeout=60_000)
    assert broken.state is JobState.FAILED and "truncated" in broken.message
    assert "failed:" in window.queue.model.index(0).data()
    weights.write_bytes(good)
    generate_and_wait(qtbot, window)
    assert window.queue.model.jobs[1].state is JobState.DONE


def test_bad_field_is_reported_in_the_window_not_raised(qtbot, window):
    fill(qtbot, window)
    window.panel.scheduler_combo.addItem("Nonsense")
    window.panel.scheduler_combo.setCurrentText("Nonsense")
    qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)
    assert "unknown scheduler 'Nonsense'" in window.panel.message_label.text()
    assert window.panel.generate_button.isEnabled()


def test_broken_model_fails_in_the_window_and_the_app_keeps_running(qtbot, window):
    weights = paths.models_dir() / "tiny-sd15" / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    fill(qtbot, window)
    with heard(qtbot, window.engine.worker.job_failed, timeout=60_000) as failed:
        qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)
    [(message,)] = failed
    assert "truncated" in message and str(weights) in message
    qtbot.waitUntil(lambda: window.running_job is None, timeout=5_000)
    assert window.panel.progress_bar.text() == "Failed" and window.panel.generate_button.isEnabled()


def test_closing_during_generation_cancels_and_joins_the_thread(qtbot, window):
    fill(qtbot, window, steps=400)
    steps = []
    window.engine.worker.step.connect(lambda *args: steps.append(args[2]))
    with heard(qtbot, window.engine.worker.step, timeout=60_000):
        qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)
    close_window(qtbot, window)
    assert window.asked == ["closing"]  # the begun request is unsaved work
    assert max(steps) < 400


GRACE_S = 2.0  # the tests' cancel grace (the app's is longer)


@pytest.fixture
def freeze(monkeypatch):
    """``freeze(pid)`` stops an engine process with SIGSTOP, as a hung driver or a debugger
    would; the window's grace is lowered to GRACE_S. A watchdog kills the process after 20 s, so
    a window that never stops it fails its test on timing instead of hanging the run; at the end
    it is killed in any case (this fixture is set up after the window, so it ends first)."""
    monkeypatch.setattr(engine_worker, "CANCEL_GRACE_S", GRACE_S)
    frozen = []

    def stop(pid: int) -> int:
        os.kill(pid, signal.SIGSTOP)
        timer = threading.Timer(20, _kill_quietly, (pid,))
        timer.daemon = True
        timer.start()
        frozen.append((timer, pid))
        return pid

    yield stop
    for timer, pid in frozen:
        timer.cancel()
        _kill_quietly(pid)


def _kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False


def start_long_job(qtbot, win) -> None:
    fill(qtbot, win, steps=400)
    with heard(qtbot, win.engine.worker.step, timeout=60_000):
        qtbot.mouseClick(win.panel.generate_button, Qt.MouseButton.LeftButton)


def test_cancel_stops_a_frozen_engine_after_a_countdown_and_the_next_job_restarts_it(qtbot, window, freeze):
    start_long_job(qtbot, window)
    pid = freeze(window.engine.worker.engine_pid)
    started = time.monotonic()
    qtbot.mouseClick(window.panel.cancel_button, Qt.MouseButton.LeftButton)
    assert window.panel.progress_bar.text() == "Cancelling ... stopping the engine in 2 s"
    assert window.statusBar().currentMessage() == "Cancelling ... stopping the engine in 2 s"
    qtbot.waitUntil(lambda: window.panel.progress_bar.text().endswith("in 1 s"), timeout=3_000)
    qtbot.waitUntil(lambda: window.running_job is None, timeout=15_000)
    assert time.monotonic() - started < GRACE_S + 8  # bounded: it used to wait forever
    assert window.queue.model.jobs[0].state is JobState.CANCELLED
    assert window.panel.message_label.text().startswith("Generation cancelled after step")
    assert window.panel.progress_bar.text() == "Cancelled" and window.engine_label.text() == "Engine: stopped"
    assert not _running(pid)
    # The next job starts a new engine, as after a crash.
    fill(qtbot, window)
    generate_and_wait(qtbot, window)
    assert window.queue.model.jobs[1].state is JobState.DONE
    assert window.engine.worker.engine_pid not in (None, pid)


def test_closing_during_a_job_on_a_frozen_engine_stops_it_after_a_countdown(qtbot, window, freeze):
    start_long_job(qtbot, window)
    pid = freeze(window.engine.worker.engine_pid)
    started = time.monotonic()
    window.close()  # unsaved work: the test answers Discard
    assert window.statusBar().currentMessage() == "Cancelling ... stopping the engine in 2 s"
    assert window.isVisible()  # it waits for the engine, without blocking
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert time.monotonic() - started < GRACE_S + 8  # bounded: it used to wait forever
    close_window(qtbot, window)  # the threads have ended
    assert window.asked == ["closing"] and window.queue.model.jobs[0].state is JobState.CANCELLED
    assert not _running(pid)


def test_closing_while_a_frozen_engine_starts_up_stops_it_after_a_countdown(qtbot, user_home, freeze):
    from atelier.engine.host import EngineHost

    host = EngineHost()  # a new engine: it is still importing torch when it freezes
    win = MainWindow(engine_host=host)
    win.show()
    qtbot.waitUntil(lambda: host.pid is not None, timeout=10_000)  # warming up: torch takes seconds
    pid = freeze(host.pid)
    started = time.monotonic()
    win.close()
    assert win.statusBar().currentMessage() == "Closing ... stopping the engine in 2 s"
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=15_000)
    assert time.monotonic() - started < GRACE_S + 8  # bounded: it used to wait forever
    close_window(qtbot, win)
    assert not _running(pid)
    host.shutdown()


def test_no_models_says_where_to_put_them(qtbot, user_home):
    win = open_window(qtbot)
    # The first run's card on the canvas says it (ui/first_run.py); the message line stays calm.
    assert paths.shown(paths.models_dir()) in win.canvas.findChild(QLabel, "firstRunWhere").text()
    assert win.panel.message_label.property("error") is False
    assert not win.panel.generate_button.isEnabled()
    close_window(qtbot, win)


def test_save_close_reopen_shows_the_same_history(qtbot, window, user_home):
    fill(qtbot, window, seed=21)
    window.panel.batch_spin.setValue(2)
    generate_and_wait(qtbot, window, count=2)
    path = user_home / "work.atelier"
    with delivered(qtbot, window.projects.worker.saved, 10_000):
        window.save_project_as(path)
    assert not window.isWindowModified() and window.windowTitle().startswith("work")
    before = window.project.to_dict()
    close_window(qtbot, window)
    assert window.asked == []  # nothing unsaved: no question
    assert crashed_sessions() == [] and not any(sessions_dir().iterdir())

    again = open_window(qtbot)  # the last project is reopened by itself
    assert again.settings.recent_projects[0] == str(path) and again.project_controller.path == path
    assert again.project.entries[0].to_dict()["outputs"] == before["entries"][0]["outputs"]
    assert [o.recipe["request"]["seed"] for o in again.project.entries[0].outputs] == [21, 22]
    assert again.windowTitle().startswith("work")
    close_window(qtbot, again)


def test_closing_with_unsaved_work_can_save_it(qtbot, window, user_home):
    fill(qtbot, window)
    generate_and_wait(qtbot, window)
    path = user_home / "kept.atelier"
    window.ask_unsaved = lambda doing: QMessageBox.StandardButton.Save
    window.save_project_as_dialog = lambda: (window.save_project_as(path), True)[1]
    close_window(qtbot, window)
    assert len(list(ProjectArchive(path).project.outputs())) == 1


def test_closing_with_unsaved_work_can_be_cancelled(qtbot, window):
    fill(qtbot, window)
    generate_and_wait(qtbot, window)
    window.ask_unsaved = lambda doing: QMessageBox.StandardButton.Cancel
    window.close()
    assert window.isVisible() and not window.projects.thread.isFinished()
    window.ask_unsaved = lambda doing: QMessageBox.StandardButton.Discard


def test_a_crashed_session_is_offered_and_recovered(qtbot, user_home, guard_env, tmp_path):
    # A real crash: a process adds outputs to an untitled project and is killed.
    script = tmp_path / "crash.py"
    script.write_text(
        "import io, os, signal\n"
        "from PIL import Image\n"
        "from atelier.core.session import ProjectSession\n"
        "s = ProjectSession.create()\n"
        "e = s.add_entry('lost at sea')\n"
        "for c in ('red', 'blue'):\n"
        "    b = io.BytesIO(); Image.new('RGB', (8, 8), c).save(b, 'PNG')\n"
        "    s.add_output(e, 'image', b.getvalue(), 'png', {'seed': 1})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    crashed = subprocess.run([sys.executable, str(script)], env=guard_env, capture_output=True)
    assert crashed.returncode == -9, crashed.stderr

    win = open_window(qtbot, recover=True)
    qtbot.waitUntil(lambda: len(win.project.entries) == 1, timeout=10_000)
    assert win.asked[0].outputs == 2
    assert win.project.entries[0].prompt == "lost at sea" and len(win.project.entries[0].outputs) == 2
    assert win.isWindowModified()
    with delivered(qtbot, win.projects.worker.saved, 10_000):
        win.save_project_as(user_home / "rescued.atelier")
    assert len(list(ProjectArchive(user_home / "rescued.atelier").project.outputs())) == 2
    close_window(qtbot, win)


def test_window_is_shown_at_once_and_torch_warms_up_in_the_engine_process(guard_env):
    code = (
        "import sys, time\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from atelier.ui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "print(w.isVisible(), 'torch' in sys.modules, 'diffusers' in sys.modules)\n"
        "deadline = time.monotonic() + 90\n"
        "while not w.engine_label.text().startswith('Engine ready') and time.monotonic() < deadline:\n"
        "    app.processEvents(); time.sleep(0.02)\n"
        "print(w.engine_label.text().startswith('Engine ready'), w.engine.worker.engine_pid is not None)\n"
        "print('torch' in sys.modules)\n"  # torch lives in the engine process only
        "w.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=guard_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False", "False", "True", "True", "False"]


def test_the_first_frame_is_painted_before_the_threads_start(qtbot, user_home):
    win = MainWindow()
    placeholder = win.project
    exposed_at_start = []
    start_engine = win.engine.start
    win.engine.start = lambda: (exposed_at_start.append(win.windowHandle().isExposed()), start_engine())
    win.show()
    assert not win.engine.thread.isRunning() and not win.projects.thread.isRunning()
    qtbot.waitUntil(lambda: win.projects.thread.isRunning(), timeout=5_000)
    assert exposed_at_start == [True] and win.engine.thread.isRunning()
    qtbot.waitUntil(lambda: win.project is not placeholder, timeout=10_000)  # what was asked before ran
    close_window(qtbot, win)


def test_a_hidden_window_starts_its_threads_at_once_and_one_closed_first_never(qtbot, user_home):
    hidden = MainWindow()
    placeholder = hidden.project
    qtbot.waitUntil(lambda: hidden.project is not placeholder, timeout=10_000)
    close_window(qtbot, hidden)
    gone = MainWindow()
    gone.close()  # before the event loop ever turned
    qtbot.wait(100)
    assert not gone.projects.thread.isRunning() and not gone.engine.thread.isRunning()
    assert list(sessions_dir().iterdir()) == []  # no working folder was made for it
    gone.deleteLater()


def test_status_bar_shows_the_loaded_model_device_and_memory(qtbot, window):
    assert window.engine_label.text().startswith(("Engine: not started", "Engine ready"))
    fill(qtbot, window)
    generate_and_wait(qtbot, window)
    assert window.engine_label.text() == "tiny-sd15 · cpu · float32"
    qtbot.waitUntil(lambda: window.memory_label.text().startswith("Memory "), timeout=3_000)
    assert float(window.memory_label.text().split()[1]) > 0.1  # GB: torch alone is more


def test_settings_from_the_dialog_are_saved_and_applied(qtbot, window):
    from PySide6.QtWidgets import QApplication

    from atelier.settings import Settings

    window.open_settings()
    dialog = window.findChild(QWidget, "settingsDialog")
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    dialog.autosave_spin.setValue(300)
    dialog.previews_check.setChecked(False)
    dialog.button_box.button(dialog.button_box.StandardButton.Ok).click()
    assert Settings.load().theme == "light" and window.settings.autosave_seconds == 300
    assert window.project_controller.autosave.interval == 300.0 and window.engine.worker.options.preview_every == 0
    app = QApplication.instance()
    assert app.palette().color(app.palette().ColorRole.Window).lightness() > 128
    dark = Settings.load().copy()
    dark.theme = "dark"
    window.apply_settings(dark)
    assert app.palette().color(app.palette().ColorRole.Window).lightness() < 128


def test_history_shows_outputs_and_clicking_one_shows_it(qtbot, window):
    fill(qtbot, window, seed=7, size=(64, 48))
    generate_and_wait(qtbot, window)
    fill(qtbot, window, seed=8, size=(48, 64))
    generate_and_wait(qtbot, window, count=2)
    newest, oldest = window.history.shown_output_ids()
    assert window.project.entries[1].outputs[0].id == newest
    assert window.canvas.image_size() == (48, 64)
    with delivered(qtbot, window.projects.worker.asset_loaded, 10_000):
        window.history.output_activated.emit(oldest)
    qtbot.waitUntil(lambda: window.canvas.image_size() == (64, 48), timeout=5_000)


def test_use_prompt_and_seed_from_history(qtbot, window):
    fill(qtbot, window, prompt="a red fox", seed=99)
    generate_and_wait(qtbot, window)
    [output_id] = window.history.shown_output_ids()
    fill(qtbot, window, prompt="something else", seed=1)
    choose(window, "use_prompt", output_id)
    choose(window, "use_seed", output_id)
    assert window.panel.prompt_edit.toPlainText() == "a red fox"
    assert window.panel.request().seed == 99


def test_marks_are_undoable_steps(qtbot, window):
    fill(qtbot, window)
    generate_and_wait(qtbot, window)
    [output_id] = window.history.shown_output_ids()
    output = window.project.entries[0].outputs[0]
    worker = window.projects.worker
    with delivered(qtbot, worker.changed, 5_000):
        choose(window, "favourite", output_id)
    with delivered(qtbot, worker.changed, 5_000):
        choose(window, "rate_4", output_id)
    assert (output.favourite, output.rating) == (True, 4)
    assert worker.session.project.find_output(output_id).rating == 4  # stored, not only shown
    with delivered(qtbot, worker.changed, 5_000):
        window.undo_stack.undo()
    assert (output.favourite, output.rating) == (True, 0)
    with delivered(qtbot, worker.changed, 5_000):
        window.undo_stack.undo()
    assert output.favourite is False
    with delivered(qtbot, worker.changed, 5_000):
        window.undo_stack.redo()
    assert output.favourite is True
    with delivered(qtbot, worker.changed, 5_000):
        choose(window, "hide", output_id)
    assert output.hidden and window.history.shown_output_ids() == []


def test_reproduce_remakes_the_same_pixels(qtbot, window):
    fill(qtbot, window, seed=31337, steps=3)
    generate_and_wait(qtbot, window)
    [output_id] = window.history.shown_output_ids()
    choose(window, "reproduce", output_id)
    qtbot.waitUntil(lambda: output_id in window.generation.reproductions, timeout=60_000)
    assert window.generation.reproductions == {output_id: True}
    assert window.panel.message_label.text() == "Reproduced exactly: every pixel matches."
    assert sum(len(e.outputs) for e in window.project.entries) == 1  # remakes are not new history
    # The comparison (project thread) may be told before the engine's job-done: wait for both.
    qtbot.waitUntil(lambda: window.running_job is None, timeout=10_000)
    assert window.queue.model.jobs[-1].state is JobState.DONE


def test_reproduce_without_a_recipe_explains(qtbot, window):
    fill(qtbot, window)
    generate_and_wait(qtbot, window)
    output = window.project.entries[0].outputs[0]
    output.recipe = {"tool": "a1111", "prompt": "imported", "seed": 3}  # what an import recovers
    choose(window, "reproduce", output.id)
    assert "no Atelier recipe" in window.panel.message_label.text()
    assert len(window.queue.model.jobs) == 1  # nothing queued


def drop_a1111_png(qtbot, window, path, parameters: str):
    """Drop a 40x30 PNG carrying A1111's ``parameters`` text on the canvas; its one entry
    once the canvas shows it."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    meta.add_text("parameters", parameters)
    Image.new("RGB", (40, 30), "orange").save(path, pnginfo=meta)
    window.canvas.file_dropped.emit(str(path))
    qtbot.waitUntil(lambda: window.canvas.image_size() == (40, 30), timeout=10_000)
    [entry] = window.project.entries
    return entry


def test_dropped_and_pasted_images_join_the_history(qtbot, window, tmp_path):
    from PySide6.QtGui import QImage

    entry = drop_a1111_png(qtbot, window, tmp_path / "fox.png",
                           "a red fox\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 40x30")
    assert entry.prompt == "a red fox" and settings_of(entry.outputs[0].recipe)["seed"] == 42

    pasted = QImage(24, 12, QImage.Format.Format_RGB32)
    pasted.fill(0x3366CC)
    window.canvas.paste_requested.emit(pasted)
    qtbot.waitUntil(lambda: len(window.project.entries) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: window.canvas.image_size() == (24, 12), timeout=10_000)
    assert len(window.history.shown_output_ids()) == 2 and window.isWindowModified()


def test_dropped_hostile_images_are_refused_in_one_line_the_window_shows(qtbot, window, tmp_path, capfd, monkeypatch):
    """A decompression bomb, a zTXt chunk of 200 MB of zeros, a ComfyUI graph nested 100,000
    deep: each is read on the project thread, refused in one line, and the window says so."""
    import threading

    import hostile_images

    from atelier.core import transfer

    readers = []
    read = transfer.read_image_for_import
    monkeypatch.setattr(transfer, "read_image_for_import",
                        lambda path: (readers.append(threading.current_thread()), read(path))[1])
    cases = {
        "bomb.png": (hostile_images.BOMB, "too large to import: 20000x20000 pixels"),
        "ztxt.png": (hostile_images.ZTXT_200_MB, "too large to import: its 'parameters' metadata unpacks to more than 1 MB"),
        "deep.png": (hostile_images.DEEP_COMFYUI, "cannot be imported: its ComfyUI metadata is nested too deeply"),
    }
    for name, (make, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(make())
        with delivered(qtbot, window.projects.worker.failed, 10_000):
            window.canvas.file_dropped.emit(str(path))
        message = window.panel.message_label.text()
        assert message.startswith(f"{path}: {reason}") and "\n" not in message
    assert window.project.entries == [] and not window.isWindowModified()
    assert len(readers) == 3 and threading.main_thread() not in readers  # never read on the UI thread
    err = capfd.readouterr().err
    for word in ("DecompressionBomb", "RecursionError", "MAX_TEXT_CHUNK", "bomb.png", "ztxt.png", "deep.png"):
        assert word not in err  # no traceback of theirs on stderr


def test_a_dropped_image_with_odd_metadata_comes_in_with_a_note(qtbot, window, tmp_path):
    entry = drop_a1111_png(qtbot, window, tmp_path / "odd.png",
                           "a red fox\nSteps: 99999999, CFG scale: 7, Seed: -5, Size: 99999x-3")
    assert entry.prompt == "a red fox" and entry.parameters == {"guidance": 7.0}
    message = window.panel.message_label.text()
    assert message.startswith("Imported odd.png, but settings outside Atelier's range were left out: seed -5: ")


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_save_image_as_keeps_the_recipe(qtbot, window, tmp_path, suffix):
    from atelier.core.interop import read_generation_info

    fill(qtbot, window, prompt="a lighthouse", seed=64)
    generate_and_wait(qtbot, window)
    target = tmp_path / f"out{suffix}"
    with delivered(qtbot, window.projects.worker.exported, 10_000):
        window.project_controller.save_image_as(window.project_controller.current_output_id, target)
    info = read_generation_info(target)
    assert (settings_of(info)["prompt"], settings_of(info)["seed"]) == ("a lighthouse", 64)
    assert info["tool"] == ("atelier" if suffix == ".png" else "a1111")


def test_window_layout_is_restored_on_the_next_start(qtbot, window):
    # (Sizes are left to the platform: the offscreen one clamps windows to its small screen.)
    window.queue_dock.hide()
    close_window(qtbot, window)
    from atelier.settings import Settings

    saved = Settings.load()
    assert saved.window_geometry and saved.window_state
    again = open_window(qtbot)
    assert not again.queue_dock.isVisible() and again.history_dock.isVisible()
    close_window(qtbot, again)


def test_earlier_prompts_are_there_after_a_restart_newest_first(qtbot, window):
    for prompt in ("a red barn", "a red fox"):
        fill(qtbot, window, prompt=prompt, size=(48, 32))
        generate_and_wait(qtbot, window, count=1 + (prompt == "a red fox"))
    close_window(qtbot, window)
    again = open_window(qtbot)
    try:
        assert again.panel.prompt_history[:2] == ["a red fox", "a red barn"]
        again.panel.history_button.menu().aboutToShow.emit()  # as opening the History menu does
        texts = [action.text() for action in again.panel.history_menu.actions()]
        assert "a red fox" in texts and "a red barn" in texts
    finally:
        close_window(qtbot, again)


def test_copy_image_puts_the_canvas_image_on_the_clipboard(qtbot, window):
    from PySide6.QtWidgets import QApplication

    fill(qtbot, window, size=(48, 32))
    generate_and_wait(qtbot, window)
    window.findChild(QAction, "copyImageAction").trigger()
    copied = QApplication.clipboard().image()
    assert (copied.width(), copied.height()) == (48, 32)


def test_delete_is_an_undoable_step(qtbot, window, user_home):
    fill(qtbot, window, seed=1)
    window.panel.batch_spin.setValue(3)
    generate_and_wait(qtbot, window, count=3)
    first, second, third = (o.id for o in window.project.entries[0].outputs)
    worker = window.projects.worker
    with delivered(qtbot, worker.changed, 5_000):
        choose(window, "delete", second)
    assert [o.id for o in window.project.entries[0].outputs] == [first, third]
    assert second not in window.history.shown_output_ids()
    with delivered(qtbot, worker.saved, 10_000):
        window.save_project_as(user_home / "d.atelier")
    with delivered(qtbot, worker.changed, 5_000):
        window.undo_stack.undo()
    assert [o.id for o in window.project.entries[0].outputs] == [first, second, third]
    assert second in window.history.shown_output_ids()
    with delivered(qtbot, worker.saved, 10_000):
        window.save_project()
    archive = ProjectArchive(user_home / "d.atelier")
    assert [o.id for _e, o in archive.project.outputs()] == [first, second, third]
    assert archive.missing_assets == []


@pytest.fixture
def modelless_window(qtbot, user_home):
    """A window with no models: enough for what does not generate."""
    win = open_window(qtbot)
    yield win
    close_window(qtbot, win)


def test_deleting_and_undoing_keep_the_history_where_it_was_scrolled(qtbot, user_home, modelless_window):
    from PIL import Image
    from PySide6.QtCore import QPoint

    from atelier.core.session import ProjectSession

    path = user_home / "many.atelier"
    session = ProjectSession.create()
    for i in range(40):
        entry = session.add_entry(f"prompt {i}")
        for j in range(3):
            image = io.BytesIO()
            Image.new("RGB", (16, 16), (i * 6, j * 80, 90)).save(image, "PNG")
            session.add_output(entry, "image", image.getvalue(), "png", {"prompt": f"prompt {i}", "seed": 10 * i + j})
    session.save(path)
    session.close()
    win = modelless_window
    with delivered(qtbot, win.projects.worker.opened, 10_000):
        win.open_project(path)
    grid, bar = win.history.list_view, win.history.list_view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 1000, timeout=5_000)
    bar.setValue(bar.maximum() // 2)
    qtbot.waitUntil(lambda: grid.indexAt(QPoint(grid.viewport().width() // 2, 60)).isValid(), timeout=5_000)

    def visible() -> list[str]:
        shown = grid.viewport().rect()
        return [i for i in win.history.shown_output_ids() if grid.visualRect(win.history.index_of(i)).intersects(shown)]

    before, (top, *_, victim, _last) = bar.value(), visible()
    with delivered(qtbot, win.projects.worker.changed, 5_000):
        choose(win, "delete", victim)
    assert victim not in win.history.shown_output_ids()
    assert bar.value() == before and visible()[0] == top  # it used to jump to the top
    with delivered(qtbot, win.projects.worker.changed, 5_000):
        win.undo_stack.undo()
    assert victim in visible()
    assert bar.value() == before and visible()[0] == top


def test_canvas_edits_add_a_linked_output_and_undo_redo_them(qtbot, window, tmp_path):
    from PIL import Image
    from PySide6.QtGui import QAction

    original = Image.new("RGB", (40, 30), "white")
    original.paste((200, 30, 30), (0, 0, 10, 30))  # a red band on the left
    original.save(tmp_path / "band.png")
    window.canvas.file_dropped.emit(str(tmp_path / "band.png"))
    qtbot.waitUntil(lambda: window.canvas.image_size() == (40, 30), timeout=10_000)
    [source] = window.project.entries[0].outputs

    window.findChild(QAction, "rotateRightAction").trigger()
    qtbot.waitUntil(lambda: window.canvas.image_size() == (30, 40), timeout=10_000)
    window.findChild(QAction, "flipHorizontalAction").trigger()
    qtbot.waitUntil(lambda: len(window.project.entries[0].outputs) == 3, timeout=10_000)
    rotated, flipped = window.project.entries[0].outputs[1:]
    assert (rotated.source, rotated.extra, flipped.source) == (source.id, {"edit": "rotate-right"}, rotated.id)
    session = window.projects.worker.session
    with Image.open(io.BytesIO(session.read_asset(rotated.asset))) as got:
        assert got.tobytes() == original.transpose(Image.Transpose.ROTATE_270).tobytes()
    assert window.undo_stack.undoText() == "flip horizontal"

    window.undo_stack.undo()  # the flip goes; the rotated image is shown again
    qtbot.waitUntil(lambda: flipped.id not in window.history.shown_output_ids(), timeout=10_000)
    window.undo_stack.undo()  # and the rotation
    qtbot.waitUntil(lambda: window.canvas.image_size() == (40, 30), timeout=10_000)
    assert window.history.shown_output_ids() == [source.id]
    window.undo_stack.redo()
    qtbot.waitUntil(lambda: window.canvas.image_size() == (30, 40), timeout=10_000)
    assert set(window.history.shown_output_ids()) == {source.id, rotated.id}


def test_an_unwritable_data_folder_is_said_once_and_generating_is_refused(qtbot, user_home, monkeypatch):
    blocker = user_home / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker / "data"))  # nothing can be created under a file
    win = MainWindow()
    win.show()
    qtbot.waitUntil(lambda: "cannot be written" in win.panel.message_label.text(), timeout=10_000)
    assert win.panel.message_label.text().startswith(f"{blocker / 'data' / 'Atelier'} cannot be written (")
    assert not win.panel.generate_button.isEnabled()
    qtbot.wait(300)  # the model scan's "no models" message must not replace it
    assert "cannot be written" in win.panel.message_label.text()
    close_window(qtbot, win)


def test_reuse_takes_a_seed_past_two_to_the_31(qtbot, window):
    fill(qtbot, window, seed=3_000_000_000)  # seeds go to 2**32 - 1; a Qt int signal stops at 2**31 - 1
    generate_and_wait(qtbot, window)
    window.panel.seed_spin.setValue(-1)
    qtbot.mouseClick(window.panel.lock_button, Qt.MouseButton.LeftButton)
    assert window.panel.seed_spin.value() == 3_000_000_000
