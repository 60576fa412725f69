"""The first run: with no model, the canvas says which files Atelier uses and where, and offers
to add a models folder or an A1111 / ComfyUI install's folders; once models are found, the
usual hint is back. The folder dialog is replaced by the path a test gives."""

import pytest
import tiny_models
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFrame, QPushButton
from window_driver import close_window, open_window

from atelier import paths
from atelier.settings import Settings


@pytest.fixture
def empty_window(qtbot, user_home):
    win = open_window(qtbot)
    yield win
    close_window(qtbot, win)


def _card(win) -> QFrame:
    return win.canvas.findChild(QFrame, "firstRunPanel")


def _model_names(win) -> list[str]:
    combo = win.panel.model_combo
    return [combo.itemText(i) for i in range(combo.count())]


def _pick(win, folder) -> list[str]:
    """Answer the folder dialog with ``folder``; the titles it was asked with."""
    asked = []
    win.model_folder_picker.choose_folder = lambda title: (asked.append(title), str(folder))[1]
    return asked


def test_with_no_models_the_canvas_explains_and_offers_two_ways(qtbot, empty_window):
    win = empty_window
    qtbot.waitUntil(lambda: _card(win) is not None and _card(win).isVisible(), timeout=10_000)
    card = _card(win)
    text = " ".join(label.text() for label in card.findChildren(type(win.engine_label)))
    assert ".safetensors" in text and "diffusers" in text and "audio model folders" in text
    assert paths.shown(paths.models_dir()) in text
    buttons = {button.objectName(): button.text() for button in card.findChildren(QPushButton)}
    assert buttons == {"addModelsFolderButton": "Add a Models Folder...",
                       "useInstallFolderButton": "Use My A1111 / ComfyUI Folder..."}
    assert win.canvas.hint is None  # the card, not the "Describe what you want" hint
    assert win.canvas.viewport().geometry().contains(card.geometry())  # whole, in the middle
    assert abs(card.geometry().center().x() - win.canvas.viewport().geometry().center().x()) <= 1
    assert win.panel.add_models_button.isVisible()
    assert win.panel.message_label.property("error") is False  # guidance, not a red line

    win.resize(900, 700)  # a canvas narrower than the card: it narrows, its buttons one above the other
    add, use = card.findChild(QPushButton, "addModelsFolderButton"), card.findChild(QPushButton, "useInstallFolderButton")
    qtbot.waitUntil(lambda: use.geometry().top() > add.geometry().bottom(), timeout=5_000)
    assert win.canvas.viewport().geometry().contains(card.geometry())
    assert card.geometry().contains(use.geometry().translated(card.pos()))

    win.canvas.show_image(QImage(64, 64, QImage.Format.Format_RGB32))  # an open project's picture
    assert not card.isVisible() and win.canvas.hint is None
    win.canvas.show_image(QImage())
    assert card.isVisible()


def test_an_a1111_install_adds_its_folders_and_its_checkpoint_appears(qtbot, empty_window, sd15_dir, tmp_path):
    win = empty_window
    qtbot.waitUntil(lambda: _card(win) is not None and _card(win).isVisible(), timeout=10_000)
    root = tmp_path / "stable-diffusion-webui"
    tiny_models.write_sd15_checkpoint(sd15_dir, root / "models" / "Stable-diffusion" / "tiny-ckpt.safetensors")
    (root / "models" / "Lora").mkdir()
    (root / "embeddings").mkdir()
    asked = _pick(win, root)

    qtbot.mouseClick(_card(win).findChild(QPushButton, "useInstallFolderButton"), Qt.MouseButton.LeftButton)

    assert asked and "A1111" in asked[0]
    added = [str(root / "models" / "Stable-diffusion"), str(root / "models" / "Lora"), str(root / "embeddings")]
    assert win.settings.model_folders == added
    assert Settings.load().model_folders == added  # kept for the next start
    assert win.statusBar().currentMessage() == "Added 3 folders from A1111: Stable-diffusion, Lora, embeddings"
    qtbot.waitUntil(lambda: any("tiny-ckpt" in name for name in _model_names(win)), timeout=20_000)
    assert win.panel.model_combo.isEnabled() and not win.panel.add_models_button.isVisible()
    assert not _card(win).isVisible()
    assert win.canvas.hint is not None and "Describe what you want" in win.canvas.hint
    assert "Added 3 folders from A1111" in win.panel.message_label.text()  # outlives the scan's status

    win.model_folder_picker.use_install(root / "models")  # the same install, by its models folder
    assert win.settings.model_folders == added
    assert "already added" in win.statusBar().currentMessage()


def test_the_pickers_menu_adds_a_plain_folder_as_it_is(qtbot, empty_window, tmp_path):
    win = empty_window
    qtbot.waitUntil(lambda: win.panel.add_models_button.isVisible(), timeout=10_000)
    folder = tmp_path / "my models"
    folder.mkdir()
    _pick(win, folder)
    win.panel.add_models_button.menu().actions()[0].trigger()  # "Add a Models Folder..."
    assert win.settings.model_folders == [str(folder)]
    assert "Added" in win.statusBar().currentMessage() and "my models" in win.statusBar().currentMessage()

    other = tmp_path / "not an install"
    other.mkdir()
    _pick(win, other)
    win.panel.add_models_button.menu().actions()[1].trigger()  # "Use My A1111 / ComfyUI Folder..."
    assert win.settings.model_folders == [str(folder), str(other)]
    assert "is not an A1111, Forge, ComfyUI or InvokeAI folder; added it as it is" in win.statusBar().currentMessage()


def test_the_edit_menu_always_offers_add_models_folder_and_a_missing_folder_is_refused(qtbot, empty_window, tmp_path):
    win = empty_window
    action = win.findChild(type(win.menuBar().actions()[0]), "addModelsFolderAction")
    assert action is not None and action.text() == "Add Models &Folder..."
    _pick(win, tmp_path / "gone")
    action.trigger()
    assert win.settings.model_folders == []
    assert "is not a folder" in win.statusBar().currentMessage()


def test_a_folder_dropped_on_the_card_is_added_and_a_file_is_not_taken(qtbot, empty_window, sd15_dir, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    win = empty_window
    qtbot.waitUntil(lambda: _card(win) is not None and _card(win).isVisible(), timeout=10_000)
    root = tmp_path / "ComfyUI"
    tiny_models.write_sd15_checkpoint(sd15_dir, root / "models" / "checkpoints" / "dropped.safetensors")
    card = _card(win)

    def drag(path) -> bool:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        enter = QDragEnterEvent(card.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(card, enter)
        if enter.isAccepted():
            drop = QDropEvent(QPointF(card.rect().center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                              Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(card, drop)
        return enter.isAccepted()

    (tmp_path / "notes.txt").write_text("not a folder")
    assert not drag(tmp_path / "notes.txt")
    assert win.settings.model_folders == []

    assert drag(root)
    assert win.settings.model_folders == [str(root / "models" / "checkpoints")]
    qtbot.waitUntil(lambda: any("dropped" in name for name in _model_names(win)), timeout=20_000)
    assert not _card(win).isVisible()
