"""Nothing that looks lost: the last project comes back at start with its newest output and
its form, the unsaved-work question says what would go, Save As proposes a name, and Open
Recent lists what is still there."""

from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from test_queue_flows import queue_fake
from window_driver import close_window, delivered, open_window

from atelier.settings import Settings


def stored(window) -> int:
    return sum(len(e.outputs) for e in window.project.entries)


def made(qtbot, window, count: int, **values) -> None:
    """``count`` more outputs, each its own job on the fake task."""
    wanted = stored(window) + count
    for _ in range(count):
        queue_fake(window, **values)
    qtbot.waitUntil(lambda: stored(window) == wanted and window.running_job is None, timeout=30_000)


def saved_as(qtbot, window, path: Path) -> None:
    with delivered(qtbot, window.projects.worker.saved, 10_000):
        window.save_project_as(path)


def test_the_last_project_reopens_with_its_newest_output_and_its_form(qtbot, window, user_home):
    made(qtbot, window, 2, prompt="a quiet harbour")
    path = user_home / "harbour.atelier"
    saved_as(qtbot, window, path)
    newest = window.project.entries[-1].outputs[-1]
    window.panel.prompt_edit.setPlainText("the next idea, not generated yet")
    window.panel.steps_spin.setValue(13)
    close_window(qtbot, window)

    again = open_window(qtbot)
    try:
        assert again.project_controller.path == path
        qtbot.waitUntil(lambda: again.project_controller.current_output_id == newest.id, timeout=5_000)
        qtbot.waitUntil(lambda: again.canvas.current_image() is not None, timeout=5_000)
        assert again.panel.prompt_edit.toPlainText() == "the next idea, not generated yet"
        assert again.panel.steps_spin.value() == 13
        assert again.panel.project_prompts[0] == "a quiet harbour"
    finally:
        close_window(qtbot, again)


def test_reopening_can_be_turned_off_and_a_gone_file_starts_afresh(qtbot, window, user_home):
    made(qtbot, window, 1)
    path = user_home / "gone.atelier"
    saved_as(qtbot, window, path)
    close_window(qtbot, window)

    settings = Settings.load()
    settings.reopen_last_project = False
    settings.save()
    fresh = open_window(qtbot)
    assert fresh.project_controller.path is None and not fresh.project.entries
    fresh.settings.reopen_last_project = True
    fresh._save_settings()
    close_window(qtbot, fresh)

    path.unlink()
    afresh = open_window(qtbot)
    try:
        qtbot.waitUntil(lambda: "Could not reopen gone.atelier" in afresh.panel.message_label.text(), timeout=5_000)
        assert afresh.project_controller.path is None
    finally:
        close_window(qtbot, afresh)


def test_the_unsaved_question_says_what_would_be_lost(qtbot, window, user_home):
    made(qtbot, window, 2)
    box = window.unsaved_question("closing")
    assert "2 images will be deleted" in box.informativeText()
    assert box.button(QMessageBox.StandardButton.Save).text() == "Save First..."
    assert box.button(QMessageBox.StandardButton.Discard).text() == "Don't Save"
    box.deleteLater()

    saved_as(qtbot, window, user_home / "counted.atelier")
    assert window.project_controller.unsaved_loss() == ""
    made(qtbot, window, 1)
    window.project_controller.toggle_favourite(window.project.entries[0].outputs[0].id)
    qtbot.waitUntil(lambda: window.project_controller.unsaved_loss() == "1 new image and 1 other change will be lost",
                    timeout=5_000)
    box = window.unsaved_question("opening another project")
    assert box.informativeText() == ("If you don't save before opening another project, "
                                     "1 new image and 1 other change will be lost.")
    assert box.button(QMessageBox.StandardButton.Save).text() == "Save First"
    box.deleteLater()


def test_save_as_proposes_the_first_prompt_in_the_documents_folder(qtbot, window, user_home):
    documents = user_home / "My Documents"
    documents.mkdir()
    # Where the desktop says the documents folder is (Qt reads it from here on Linux).
    config = user_home / "xdg_config_home"
    config.mkdir(exist_ok=True)
    (config / "user-dirs.dirs").write_text(f'XDG_DOCUMENTS_DIR="{documents}"\n')
    made(qtbot, window, 1, prompt="A lighthouse, on a cliff at dusk! oil painting")
    assert window.proposed_project_path() == documents / "A lighthouse on a cliff at.atelier"
    (documents / "A lighthouse on a cliff at.atelier").write_bytes(b"taken")
    assert window.proposed_project_path() == documents / "A lighthouse on a cliff at 2.atelier"


def test_open_recent_lists_name_and_folder_newest_first_and_drops_gone_files(qtbot, window, user_home):
    made(qtbot, window, 1)
    older, newer = user_home / "a" / "older.atelier", user_home / "b" / "newer.atelier"
    for path in (older, newer):
        path.parent.mkdir()
        saved_as(qtbot, window, path)
    window.settings.add_recent(user_home / "deleted.atelier")
    window._fill_recent_menu()
    texts = [action.text() for action in window.recent_menu.actions()]
    assert len(texts) == 2
    assert texts[0].startswith("newer  \u2014  ") and texts[0].endswith("/b")
    assert texts[1].startswith("older  \u2014  ") and texts[1].endswith("/a")
    assert str(user_home / "deleted.atelier") not in Settings.load().recent_projects


def test_no_autosave_starts_behind_a_save_already_asked_for(qtbot, window, user_home):
    """A save takes every change made before it: an autosave due a moment later would save
    again, and its plain "Saved" would hide what the first said (outputs taken in, say)."""
    import time

    saved_as(qtbot, window, user_home / "once.atelier")
    made(qtbot, window, 1)
    clock = window.project_controller.autosave
    assert clock.due(time.monotonic() + 3)  # the new output is waiting for a save
    saves = []
    window.projects.worker.saved.connect(saves.append)
    window.save_project()
    assert not clock.due(time.monotonic() + 3)  # at once, before the save has ended
    qtbot.waitUntil(lambda: len(saves) == 1, timeout=10_000)
    qtbot.wait(2500)  # past the autosave's quiet moment: still one save
    assert len(saves) == 1
