"""The Settings dialog, driven with qtbot: it shows the settings, edits a copy, and hands the
copy back only through result_settings()."""

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QListWidget,
    QPushButton,
    QSpinBox,
)

from atelier import paths
from atelier.settings import Settings
from atelier.ui.settings_dialog import SettingsDialog


@pytest.fixture
def original(user_home, tmp_path) -> Settings:
    existing = tmp_path / "ComfyUI" / "models"
    existing.mkdir(parents=True)
    return Settings(model_folders=[str(existing), "/nowhere/stable-diffusion-webui/models/Stable-diffusion"],
                    device="cpu", precision="fp16", memory_mode="vae-tiling", previews=True, preview_every=3,
                    autosave_seconds=90, theme="light", audio_device="USB Audio CODEC: Audio (hw:2,0)",
                    recent_projects=["/p/a.atelier"],
                    window_geometry="GEOM", unknown_keys={"future": {"x": 1}})


DEVICES = [(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)"), (3, "USB Audio CODEC: Audio (hw:2,0)"), (5, "default")]


@pytest.fixture
def dialog(qtbot, original, monkeypatch):
    monkeypatch.setattr(SettingsDialog, "list_audio_devices", lambda self: list(DEVICES))
    dlg = SettingsDialog(original)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def child(dlg, cls, name):
    widget = dlg.findChild(cls, name)
    assert widget is not None, name
    return widget


def choose(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def test_controls_are_named_and_grouped(dialog):
    assert dialog.objectName() == "settingsDialog"
    assert dialog.windowTitle() == "Settings"
    for cls, name in [(QListWidget, "modelFoldersList"), (QPushButton, "addFolderButton"),
                      (QPushButton, "removeFolderButton"), (QComboBox, "deviceCombo"), (QComboBox, "precisionCombo"),
                      (QComboBox, "memoryModeCombo"), (QCheckBox, "previewsCheck"), (QSpinBox, "previewEverySpin"),
                      (QSpinBox, "autosaveSpin"), (QComboBox, "themeCombo"), (QComboBox, "audioDeviceCombo")]:
        assert child(dialog, cls, name).accessibleName(), name
    titles = [box.title() for box in dialog.findChildren(QGroupBox)]
    assert titles == ["Models", "Engine", "Generation", "Sound", "Projects", "Appearance"]
    buttons = child(dialog, QDialogButtonBox, "settingsButtons")
    assert buttons.button(QDialogButtonBox.StandardButton.Ok) is not None
    assert buttons.button(QDialogButtonBox.StandardButton.Cancel) is not None


def test_combos_offer_the_settings_values_with_human_labels(dialog):
    def entries(name):
        combo = child(dialog, QComboBox, name)
        return [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]

    assert [v for v, _ in entries("deviceCombo")] == ["auto", "cpu", "cuda", "mps"]
    assert [v for v, _ in entries("precisionCombo")] == ["auto", "fp32", "fp16", "bf16"]
    assert entries("memoryModeCombo") == [("normal", "Normal"), ("vae-tiling", "VAE tiling (large images)"),
                                          ("cpu-offload", "Model CPU offload (low VRAM)")]
    assert entries("themeCombo") == [("system", "Follow system"), ("light", "Light"), ("dark", "Dark")]


def test_hint_names_typical_folders_of_other_apps(dialog):
    text = dialog.folders_hint.text()
    assert "stable-diffusion-webui/models/Stable-diffusion" in text
    assert "ComfyUI/models" in text
    assert str(paths.models_dir()) in text


def test_dialog_shows_current_values(dialog, original, tmp_path):
    assert dialog.model_folders() == [str(tmp_path / "ComfyUI" / "models"),
                                      "/nowhere/stable-diffusion-webui/models/Stable-diffusion"]
    missing = dialog.folders_list.item(1)
    assert "Not found" in missing.toolTip()
    assert "Not found" not in dialog.folders_list.item(0).toolTip()
    assert dialog.device_combo.currentData() == "cpu" and dialog.device_combo.currentText() == "CPU"
    assert dialog.precision_combo.currentData() == "fp16"
    assert dialog.memory_mode_combo.currentText() == "VAE tiling (large images)"
    assert dialog.previews_check.isChecked() is True
    assert dialog.preview_every_spin.value() == 3 and dialog.preview_every_spin.isEnabled()
    assert dialog.preview_every_spin.text() == "every 3 steps"
    assert dialog.autosave_spin.value() == 90
    assert dialog.theme_combo.currentData() == "light"
    assert dialog.audio_device_combo.currentData() == "USB Audio CODEC: Audio (hw:2,0)"
    # Unchanged, the result equals the original but is a different object.
    result = dialog.result_settings()
    assert result == original and result is not original
    assert result.model_folders is not original.model_folders


def test_defaults_show_off_and_one_step(qtbot, user_home):
    dlg = SettingsDialog(Settings(autosave_seconds=0, previews=False))
    qtbot.addWidget(dlg)
    assert dlg.autosave_spin.text() == "Off"
    assert dlg.preview_every_spin.text() == "every 1 step"
    assert not dlg.preview_every_spin.isEnabled()
    assert dlg.model_folders() == []
    assert not dlg.remove_folder_button.isEnabled()


def test_add_and_remove_folders(qtbot, dialog, original, tmp_path):
    new = tmp_path / "stable-diffusion-webui" / "models" / "Stable-diffusion"
    new.mkdir(parents=True)
    dialog.choose_folder = lambda: str(new)
    qtbot.mouseClick(dialog.add_folder_button, Qt.MouseButton.LeftButton)
    assert dialog.model_folders()[-1] == str(new)
    assert dialog.folders_list.currentRow() == 2
    # Adding the same folder again selects it instead of listing it twice.
    qtbot.mouseClick(dialog.add_folder_button, Qt.MouseButton.LeftButton)
    assert dialog.model_folders().count(str(new)) == 1 and len(dialog.model_folders()) == 3
    # A cancelled chooser changes nothing.
    dialog.choose_folder = lambda: None
    qtbot.mouseClick(dialog.add_folder_button, Qt.MouseButton.LeftButton)
    assert len(dialog.model_folders()) == 3

    dialog.folders_list.setCurrentRow(1)
    assert dialog.remove_folder_button.isEnabled()
    qtbot.mouseClick(dialog.remove_folder_button, Qt.MouseButton.LeftButton)
    assert dialog.model_folders() == [str(tmp_path / "ComfyUI" / "models"), str(new)]
    dialog.folders_list.clearSelection()
    assert not dialog.remove_folder_button.isEnabled()

    assert dialog.result_settings().model_folders == [str(tmp_path / "ComfyUI" / "models"), str(new)]
    assert original.model_folders == [str(tmp_path / "ComfyUI" / "models"),
                                      "/nowhere/stable-diffusion-webui/models/Stable-diffusion"]


def edit_everything(dialog) -> None:
    choose(dialog.device_combo, "cuda")
    choose(dialog.precision_combo, "bf16")
    choose(dialog.memory_mode_combo, "cpu-offload")
    choose(dialog.theme_combo, "dark")
    choose(dialog.audio_device_combo, "")
    dialog.autosave_spin.setValue(0)
    dialog.preview_every_spin.setValue(7)
    dialog.previews_check.setChecked(False)


def test_result_reflects_edits_and_original_is_unchanged(dialog, original):
    before = original.copy()
    edit_everything(dialog)
    assert dialog.autosave_spin.text() == "Off"
    result = dialog.result_settings()
    assert (result.device, result.precision, result.memory_mode, result.theme) == ("cuda", "bf16", "cpu-offload",
                                                                                   "dark")
    assert (result.autosave_seconds, result.previews, result.preview_every) == (0, False, 7)
    assert result.audio_device == ""
    # What the dialog does not show is carried over.
    assert result.recent_projects == ["/p/a.atelier"] and result.window_geometry == "GEOM"
    assert result.unknown_keys == {"future": {"x": 1}}
    assert original == before
    assert (original.device, original.precision, original.memory_mode, original.theme) == ("cpu", "fp16",
                                                                                            "vae-tiling", "light")
    assert (original.autosave_seconds, original.previews, original.preview_every) == (90, True, 3)


def test_ok_accepts_and_sends_the_edited_settings(qtbot, dialog, original):
    before = original.copy()
    edit_everything(dialog)
    sent = []
    dialog.settings_accepted.connect(sent.append)
    ok = dialog.button_box.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert len(sent) == 1 and sent[0].device == "cuda" and sent[0].theme == "dark" and sent[0].autosave_seconds == 0
    assert sent[0] == dialog.result_settings()
    assert original == before  # applying is the caller's job


def test_cancel_leaves_the_original_untouched(qtbot, dialog, original, tmp_path):
    before = original.copy()
    edit_everything(dialog)
    dialog.choose_folder = lambda: str(tmp_path)
    dialog.add_folder()
    sent = []
    dialog.settings_accepted.connect(sent.append)
    cancel = dialog.button_box.button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert dialog.result() == SettingsDialog.DialogCode.Rejected
    assert sent == []
    assert original == before
    assert original.device == "cpu" and len(original.model_folders) == 2


def test_preview_interval_is_disabled_when_previews_are_off(qtbot, dialog):
    assert dialog.preview_every_spin.isEnabled()
    qtbot.mouseClick(dialog.previews_check, Qt.MouseButton.LeftButton)
    assert dialog.previews_check.isChecked() is False
    assert not dialog.preview_every_spin.isEnabled()
    assert dialog.result_settings().preview_every == 3  # the interval is kept for when they come back on
    qtbot.mouseClick(dialog.previews_check, Qt.MouseButton.LeftButton)
    assert dialog.preview_every_spin.isEnabled()
    dialog.preview_every_spin.setValue(1)
    assert dialog.preview_every_spin.text() == "every 1 step"


def test_autosave_longer_than_the_spin_range_is_kept(qtbot, user_home):
    dlg = SettingsDialog(Settings(autosave_seconds=7200))
    qtbot.addWidget(dlg)
    assert dlg.autosave_spin.value() == 7200
    assert dlg.result_settings().autosave_seconds == 7200


def test_fields_line_up_across_sections(dialog):
    def x(name):
        return child(dialog, QComboBox if "Combo" in name else QSpinBox, name).mapTo(dialog, QPoint(0, 0)).x()

    xs = {name: x(name) for name in ("deviceCombo", "precisionCombo", "memoryModeCombo", "audioDeviceCombo",
                                     "autosaveSpin", "themeCombo")}
    assert len(set(xs.values())) == 1, xs


def test_sound_devices_are_listed_by_name_when_the_dialog_is_shown(dialog):
    combo = dialog.audio_device_combo
    entries = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
    # ALSA's "default" is the system default, listed once, first.
    assert entries == [("", "System default"), (DEVICES[0][1], DEVICES[0][1]), (DEVICES[1][1], DEVICES[1][1])]
    choose(combo, DEVICES[0][1])
    assert dialog.result_settings().audio_device == "HDA Intel PCH: ALC3246 Analog (hw:0,0)"


def test_sound_devices_are_not_looked_for_until_the_dialog_is_shown(qtbot, user_home, monkeypatch):
    asked = []
    monkeypatch.setattr(SettingsDialog, "list_audio_devices", lambda self: asked.append(1) or [(1, "Speakers")])
    dlg = SettingsDialog(Settings(audio_device="Speakers"))
    qtbot.addWidget(dlg)
    assert asked == []
    # Until then the combo holds the current choice, so OK keeps it.
    assert dlg.audio_device_combo.count() == 2 and dlg.result_settings().audio_device == "Speakers"
    dlg.show()
    qtbot.waitExposed(dlg)
    assert asked == [1]
    assert [dlg.audio_device_combo.itemText(i) for i in range(dlg.audio_device_combo.count())] == [
        "System default", "Speakers"]
    assert dlg.audio_device_combo.currentData() == "Speakers"
    dlg.hide()
    dlg.show()
    assert asked == [1]  # once per dialog


def test_a_device_that_is_not_connected_is_kept(qtbot, user_home, monkeypatch):
    monkeypatch.setattr(SettingsDialog, "list_audio_devices", lambda self: [(0, "default")])
    dlg = SettingsDialog(Settings(audio_device="Focusrite USB"))
    qtbot.addWidget(dlg)
    dlg.show()
    combo = dlg.audio_device_combo
    assert combo.currentText() == "Focusrite USB (not connected)"
    assert dlg.result_settings().audio_device == "Focusrite USB"


def test_the_real_device_list_on_the_null_device(qtbot, user_home):
    # tests/conftest.py makes ALSA's null device the default: PortAudio lists it as "default".
    dlg = SettingsDialog(Settings())
    qtbot.addWidget(dlg)
    dlg.show()
    combo = dlg.audio_device_combo
    assert combo.itemText(0) == "System default" and combo.currentData() == ""
    assert "default" not in [combo.itemData(i) for i in range(combo.count())]


def test_screenshot_in_dark_theme(qtbot, dialog, tmp_path):
    from atelier.ui.theme import dark_palette

    app = QApplication.instance()
    assert app.style().name() == "fusion"  # as atelier.ui.app makes it (conftest's qapp_args)
    old_palette = app.palette()
    app.setPalette(dark_palette())
    try:
        dialog.adjustSize()
        image = dialog.grab()
        shot = tmp_path / "settings.png"
        assert image.save(str(shot))
        assert shot.stat().st_size > 0
        assert image.width() >= 560 and image.height() >= 400
    finally:
        app.setPalette(old_palette)
