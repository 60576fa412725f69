"""Driving the real window in tests as a person would: open it, fill the prompt panel, click
Generate, wait for what its worker threads report, close it."""

import contextlib

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from atelier.ui.main_window import MainWindow


def open_window(qtbot, unsaved=QMessageBox.StandardButton.Discard, recover=False) -> MainWindow:
    """A shown window whose questions are answered by the test instead of modal dialogs."""
    win = MainWindow()
    placeholder = win.project  # replaced when the project thread has started the session
    win.asked = []
    win.ask_unsaved = lambda doing: (win.asked.append(doing), unsaved)[1]
    win.ask_recover = lambda crashed: (win.asked.append(crashed), recover)[1]
    win.show()
    qtbot.waitUntil(lambda: win.panel.model_combo.isEnabled() or "No models found" in win.panel.message_label.text(),
                    timeout=10_000)
    qtbot.waitUntil(lambda: win.project is not placeholder or bool(win.asked), timeout=10_000)
    return win


@contextlib.contextmanager
def heard(qtbot, signal, timeout: int):
    """Wait until a worker thread's ``signal`` is emitted during the block. Polled, not blocked
    on: pytest-qt's blocker is woken in the emitting thread, and an emission just as it starts
    waiting stops its timeout timer from the wrong thread, which left a CI run waiting forever."""
    emissions = []

    def note(*args):  # runs in the emitting thread; appending is safe under the GIL
        emissions.append(args)

    signal.connect(note, Qt.ConnectionType.DirectConnection)
    try:
        yield emissions
        qtbot.waitUntil(lambda: bool(emissions), timeout=timeout)
    finally:
        signal.disconnect(note)


@contextlib.contextmanager
def delivered(qtbot, signal, timeout: int):
    """Wait for a project-thread signal, then let the window's queued slots for it run too:
    the emission is seen in the project thread, before the GUI thread has handled it."""
    with heard(qtbot, signal, timeout):
        yield
    qtbot.wait(20)


def close_window(qtbot, win) -> None:
    """Close and wait: with unsaved work the close completes after the project thread answers.
    Then delete the window on the GUI thread: left to Python's garbage collector, a widget could
    be destroyed during a collection that happens to run on a worker thread, and crash."""
    # Marked on the window itself: a set of id()s, as before, wrongly skipped a new window that
    # got a closed one's id, leaving its threads running until a garbage collection aborted.
    if getattr(win, "closed_by_test", False):
        return
    win.closed_by_test = True
    win.close()
    qtbot.waitUntil(lambda: win.projects.thread.isFinished(), timeout=20_000)
    assert win.engine.thread.isFinished()
    win.deleteLater()
    qtbot.wait(10)


def fill(qtbot, win, prompt="a photo of a cat", steps=2, size=(64, 64), seed=5):
    win.panel.prompt_edit.setPlainText(prompt)
    win.panel.steps_spin.setValue(steps)
    win.panel.width_spin.setValue(size[0])
    win.panel.height_spin.setValue(size[1])
    win.panel.seed_spin.setValue(seed)


def generate_and_wait(qtbot, win, count=1):
    """Click Generate; wait until the job ended and its images are stored and shown."""
    with heard(qtbot, win.engine.worker.job_done, timeout=60_000):
        qtbot.mouseClick(win.panel.generate_button, Qt.MouseButton.LeftButton)
    # job_done is seen in the engine thread; the window hears of it when its own thread gets
    # there, which may be after the project thread has stored the image.
    qtbot.waitUntil(lambda: win.running_job is None
                    and sum(len(e.outputs) for e in win.project.entries) >= count, timeout=10_000)


def choose(win, name: str, output_id: str) -> None:
    """Choose an action from an output's context menu in the history, as a right-click would
    offer it (``name``: the action's, as in ui/actions.py)."""
    menu = win.history.build_context_menu(output_id)
    action = menu.findChild(QAction, f"history_{name}")
    assert action is not None and action.isEnabled(), f"{name} is not offered for {output_id}"
    action.trigger()
    menu.deleteLater()
