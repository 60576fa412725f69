"""A folder of 200 mixed images imported through the real window: several tools' metadata, some
without any, duplicates and bad files; the history shows them and the summary is said."""

import json
import shutil
import threading

import pytest
import tool_images
from PIL import Image
from window_driver import heard

from atelier.core import transfer

TOOL_CHUNKS = {
    "a1111": {"parameters": tool_images.A1111_TEXT},
    "comfyui": {"prompt": json.dumps(tool_images.COMFYUI_PROMPT)},
    "novelai": tool_images.NOVELAI_CHUNKS,
    "fooocus": {"parameters": json.dumps(tool_images.FOOOCUS_JSON)},
    "invokeai": {"invokeai_metadata": json.dumps(tool_images.INVOKEAI_METADATA)},
    "swarmui": {"parameters": json.dumps(tool_images.SWARMUI_JSON)},
}


def mixed_folder(root):
    """200 files: 150 made by six tools, 30 without metadata (in a subfolder), 15 copies of
    earlier ones, 5 that are no images; and a hidden folder that is left alone."""
    made = []
    for number in range(150):
        tool = list(TOOL_CHUNKS)[number % len(TOOL_CHUNKS)]
        folder = root / tool
        folder.mkdir(parents=True, exist_ok=True)
        made.append(tool_images.png(folder / f"{number:03d}.png", TOOL_CHUNKS[tool],
                                    Image.new("RGB", (16, 16), (number, 7, 9))))
    (root / "plain" / "deeper").mkdir(parents=True)
    for number in range(30):
        Image.new("RGB", (16, 16), (number * 8, 200, 9)).save(root / "plain" / "deeper" / f"{number:02d}.jpg")
    (root / "copies").mkdir()
    for number in range(15):
        shutil.copy(made[number * 10], root / "copies" / f"copy-{number}.png")
    (root / "bad").mkdir()
    (root / "bad" / "empty.png").write_bytes(b"")
    (root / "bad" / "cut.png").write_bytes(made[0].read_bytes()[:70])
    for number in range(3):
        (root / "bad" / f"notes-{number}.png").write_text("a shopping list, not a picture\n")
    (root / ".thumbnails").mkdir()
    tool_images.png(root / ".thumbnails" / "skip-me.png")


def import_and_wait(qtbot, window, paths, then=None):
    """Import ``paths`` through the window; the summary once the import has ended."""
    ended = []
    window.project_controller.imported.connect(ended.append)
    window.import_paths(paths)
    if then is not None:
        then()
    qtbot.waitUntil(lambda: bool(ended), timeout=60_000)
    qtbot.wait(20)
    return ended[0]


def test_a_folder_of_200_mixed_files_comes_in_with_its_summary(qtbot, window, tmp_path, monkeypatch):
    mixed_folder(tmp_path / "art")
    readers = set()
    read = transfer.read_image_for_import
    monkeypatch.setattr(transfer, "read_image_for_import",
                        lambda path: (readers.add(threading.current_thread()), read(path))[1])
    told = []
    window.project_controller.import_progress.connect(lambda done, total: told.append((done, total)))

    summary = import_and_wait(qtbot, window, [tmp_path / "art"])

    assert (summary.total, summary.imported, summary.duplicates, len(summary.failures)) == (200, 180, 15, 5)
    assert dict(summary.tools) == {tool: 25 for tool in TOOL_CHUNKS} and summary.without_metadata == 30
    assert told[-1] == (200, 200) and threading.main_thread() not in readers
    assert len(window.history.shown_output_ids()) == 180 and len(window.project.entries) == 180
    assert window.isWindowModified() and not window.import_progress.isVisible()
    assert window.statusBar().currentMessage() == summary.brief() == (
        "Imported 180 images (25 AUTOMATIC1111, 25 ComfyUI, 25 Fooocus, 25 InvokeAI, 25 NovelAI, 25 SwarmUI, "
        "30 without metadata); skipped 15 duplicates; 5 files could not be imported")
    message = window.panel.message_label.text()
    assert message.startswith(summary.brief() + ", e.g. ") and str(tmp_path / "art" / "bad") in message
    newest = window.project.entries[-1]
    assert window.project_controller.current_output_id == newest.outputs[0].id  # the last one in is shown
    qtbot.waitUntil(lambda: window.canvas.image_size() == (16, 16), timeout=10_000)


def test_importing_the_same_folder_again_brings_in_nothing_twice(qtbot, window, tmp_path):
    folder = tmp_path / "art"
    folder.mkdir()
    for number in range(12):
        tool_images.png(folder / f"{number}.png", TOOL_CHUNKS["a1111"], Image.new("RGB", (8, 8), (number, 0, 0)))
    assert import_and_wait(qtbot, window, [folder]).imported == 12

    again = import_and_wait(qtbot, window, [folder, folder / "3.png"])

    assert (again.imported, again.duplicates) == (0, 12)
    assert len(window.history.shown_output_ids()) == 12
    assert window.panel.message_label.text() == "Imported 0 images; skipped 12 duplicates"


@pytest.mark.parametrize("how", ["button", "escape"])
def test_cancel_stops_the_import_and_keeps_what_came_in(qtbot, window, tmp_path, how):
    from PySide6.QtCore import Qt

    folder = tmp_path / "art"
    folder.mkdir()
    for number in range(200):
        Image.new("RGB", (8, 8), (number, 1, 2)).save(folder / f"{number:03d}.png")

    def cancel():
        assert window.import_progress.isVisible()
        if how == "button":
            qtbot.mouseClick(window.import_progress.cancel_button, Qt.MouseButton.LeftButton)
        else:
            qtbot.keyClick(window, Qt.Key.Key_Escape)

    summary = import_and_wait(qtbot, window, [folder], then=cancel)

    assert summary.cancelled and summary.imported < 200
    assert len(window.history.shown_output_ids()) == summary.imported == len(window.project.entries)
    assert window.statusBar().currentMessage().endswith(f"cancelled after {summary.imported} of 200 files")
    with heard(qtbot, window.projects.worker.saved, 10_000):
        window.project_controller.save(tmp_path / "kept.atelier")
    assert not window.isWindowModified()


def drop(qtbot, widget, paths) -> None:
    """Drag ``paths`` over ``widget`` and drop them, as the window system delivers a drop."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    where = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))


def test_folders_and_files_dropped_on_the_history_or_the_canvas_come_in(qtbot, window, tmp_path):
    folder = tmp_path / "art" / "nested"
    folder.mkdir(parents=True)
    for number in range(3):
        tool_images.png(folder / f"{number}.png", TOOL_CHUNKS["comfyui"], Image.new("RGB", (8, 8), (0, number, 0)))
    loose = [tool_images.png(tmp_path / f"loose-{n}.png", None, Image.new("RGB", (8, 8), (n, 0, 50)))
             for n in range(2)]
    ended = []
    window.project_controller.imported.connect(ended.append)

    drop(qtbot, window.history.list_view.viewport(), [tmp_path / "art"])
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=30_000)
    drop(qtbot, window.canvas.viewport(), loose)  # several files: the canvas alone takes one
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=30_000)

    assert [(summary.imported, dict(summary.tools)) for summary in ended] == [(3, {"comfyui": 3}), (2, {})]
    assert len(window.history.shown_output_ids()) == 5


def test_an_image_already_there_or_a_folder_without_images_is_said(qtbot, window, tmp_path):
    image = tool_images.png(tmp_path / "one.png", TOOL_CHUNKS["a1111"])
    assert import_and_wait(qtbot, window, [image]).imported == 1
    assert import_and_wait(qtbot, window, [image]).duplicates == 1
    assert window.panel.message_label.text() == "Imported 0 images; skipped 1 duplicate"
    (tmp_path / "empty").mkdir()

    assert import_and_wait(qtbot, window, [tmp_path / "empty"]).total == 0

    assert window.panel.message_label.text() == "Found no PNG, JPEG or WebP images to import there."
    assert len(window.project.entries) == 1 and not window.import_progress.isVisible()


def test_the_file_menu_imports_a_folder_and_chosen_files(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QFileDialog

    folder = tmp_path / "art"
    folder.mkdir()
    chosen = [tool_images.png(folder / f"{n}.png", TOOL_CHUNKS["novelai"], Image.new("RGB", (8, 8), (n, 9, 9)))
              for n in range(3)]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args: ([str(path) for path in chosen[:2]], ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(folder))
    ended = []
    window.project_controller.imported.connect(ended.append)

    window.findChild(QAction, "importImagesAction").trigger()
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=30_000)
    window.findChild(QAction, "importFolderAction").trigger()
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=30_000)

    assert [(summary.imported, summary.duplicates, dict(summary.tools)) for summary in ended] == [
        (2, 0, {"novelai": 2}), (1, 2, {"novelai": 1})]
    assert sorted(entry.extra["imported_from"] for entry in window.project.entries) == sorted(map(str, chosen))
