"""The Settings dialog: edits a copy of the user's Settings, section by section.

The Settings object handed in is never changed. After OK, ``result_settings()`` (also sent by
``settings_accepted``) is the edited copy; the caller applies and saves it.
"""

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from .. import paths
from ..core.limits import MAX_STEPS
from ..settings import DEVICES, MEMORY_MODES, PRECISIONS, THEMES, Settings

# (value stored in Settings, label shown); every tuple covers its whole enumeration.
DEVICE_LABELS = (("auto", "Automatic"), ("cpu", "CPU"), ("cuda", "CUDA (NVIDIA GPU)"), ("mps", "MPS (Apple GPU)"))
PRECISION_LABELS = (("auto", "Automatic"), ("fp32", "Full (fp32)"), ("fp16", "Half (fp16)"),
                    ("bf16", "BFloat16 (bf16)"))
MEMORY_MODE_LABELS = (("normal", "Normal"), ("vae-tiling", "VAE tiling (large images)"),
                      ("cpu-offload", "Model CPU offload (low VRAM)"))
THEME_LABELS = (("system", "Follow system"), ("light", "Light"), ("dark", "Dark"))
MAX_AUTOSAVE_SECONDS = 3600
assert [v for v, _ in DEVICE_LABELS] == list(DEVICES)
assert [v for v, _ in PRECISION_LABELS] == list(PRECISIONS)
assert [v for v, _ in MEMORY_MODE_LABELS] == list(MEMORY_MODES)
assert [v for v, _ in THEME_LABELS] == list(THEMES)

_HINT = (
    "Atelier always scans its own folder; add the folders other apps keep models in:"
    "<table cellspacing='0' cellpadding='1' style='margin-top:4px'>"
    "<tr><td>Atelier&nbsp;&nbsp;</td><td><tt>{own}</tt></td></tr>"
    "<tr><td>A1111 / Forge&nbsp;&nbsp;</td><td><tt>stable-diffusion-webui/models/Stable-diffusion</tt></td></tr>"
    "<tr><td>ComfyUI&nbsp;&nbsp;</td><td><tt>ComfyUI/models</tt></td></tr>"
    "</table>"
)


class SettingsDialog(QDialog):
    settings_accepted = Signal(object)  # the edited Settings, after OK

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self._original = settings
        self._base = settings.copy()  # fields this dialog does not show are carried over from it
        self._labels: list[QLabel] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(12)
        layout.addWidget(self._build_models())
        layout.addWidget(self._build_engine())
        layout.addWidget(self._build_generation())
        layout.addWidget(self._build_sound())
        layout.addWidget(self._build_projects())
        layout.addWidget(self._build_appearance())
        layout.addStretch(1)
        # One label column width for every section, so the fields line up down the dialog.
        width = max(label.sizeHint().width() for label in self._labels)
        for label in self._labels:
            label.setMinimumWidth(width)

        self.button_box = _named(QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                                  | QDialogButtonBox.StandardButton.Cancel),
                                 "settingsButtons", "Dialog buttons")
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        layout.addWidget(self.button_box)

        self._show(self._base)
        self.setMinimumWidth(560)

    # ----- building -------------------------------------------------------------------------
    def _build_models(self) -> QGroupBox:
        box = _group("Models", "modelsGroup")
        self.folders_list = _named(QListWidget(), "modelFoldersList", "Model folders")
        self.folders_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.folders_list.setMinimumHeight(96)
        self.folders_list.setMaximumHeight(140)
        self.folders_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.folders_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.folders_list.setUniformItemSizes(True)
        self.folders_list.setIconSize(QSize(16, 16))
        self.folders_list.itemSelectionChanged.connect(self._update_buttons)
        self.add_folder_button = _named(QPushButton("Add..."), "addFolderButton", "Add model folder")
        self.add_folder_button.clicked.connect(self.add_folder)
        self.remove_folder_button = _named(QPushButton("Remove"), "removeFolderButton", "Remove model folder")
        self.remove_folder_button.clicked.connect(self.remove_selected_folders)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_folder_button)
        buttons.addWidget(self.remove_folder_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.folders_list, 1)
        row.addLayout(buttons)

        self.folders_hint = _named(QLabel(_HINT.format(own=_escape(str(paths.models_dir())))),
                                   "modelFoldersHint", "Model folder hint")
        self.folders_hint.setTextFormat(Qt.TextFormat.RichText)
        self.folders_hint.setWordWrap(True)
        self.folders_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint_palette = self.folders_hint.palette()
        hint_palette.setColor(QPalette.ColorRole.WindowText, hint_palette.color(QPalette.ColorRole.PlaceholderText))
        self.folders_hint.setPalette(hint_palette)

        layout = QVBoxLayout(box)
        layout.setSpacing(10)
        layout.addLayout(row)
        layout.addWidget(self.folders_hint)
        return box

    def _build_engine(self) -> QGroupBox:
        box = _group("Engine", "engineGroup")
        self.device_combo = _combo("deviceCombo", "Device", DEVICE_LABELS)
        self.device_combo.setToolTip("Where images are computed. Automatic picks a GPU when there is one.")
        self.precision_combo = _combo("precisionCombo", "Precision", PRECISION_LABELS)
        self.precision_combo.setToolTip("Number format of the model weights. Half precision needs half the memory.")
        self.memory_mode_combo = _combo("memoryModeCombo", "Memory mode", MEMORY_MODE_LABELS)
        self.memory_mode_combo.setToolTip("Trade speed for memory: tiling for very large images, "
                                          "offload for graphics cards with little memory.")
        width = max(c.sizeHint().width() for c in (self.device_combo, self.precision_combo, self.memory_mode_combo))
        for combo in (self.device_combo, self.precision_combo, self.memory_mode_combo):
            combo.setMinimumWidth(width)
        form = _form(box)
        self._row(form, "&Device:", self.device_combo)
        self._row(form, "&Precision:", self.precision_combo)
        self._row(form, "&Memory:", self.memory_mode_combo)
        return box

    def _build_generation(self) -> QGroupBox:
        box = _group("Generation", "generationGroup")
        self.previews_check = _named(QCheckBox("Show live previews"), "previewsCheck", "Show live previews")
        self.previews_check.toggled.connect(self._update_preview_spin)
        self.preview_every_spin = _named(QSpinBox(), "previewEverySpin", "Steps between previews")
        self.preview_every_spin.setRange(1, MAX_STEPS)
        self.preview_every_spin.setPrefix("every ")
        self.preview_every_spin.valueChanged.connect(self._update_preview_suffix)
        self.preview_every_spin.setToolTip("Fewer previews make generation a little faster.")
        row = QHBoxLayout()
        row.addWidget(self.previews_check)
        row.addSpacing(12)
        row.addWidget(self.preview_every_spin)
        row.addStretch(1)
        form = _form(box)
        self._row(form, "Pre&views:", row, buddy=self.previews_check)
        return box

    def _build_sound(self) -> QGroupBox:
        box = _group("Sound", "soundGroup")
        self.audio_device_combo = _named(QComboBox(), "audioDeviceCombo", "Sound output device")
        self.audio_device_combo.setToolTip("Where sounds play. The system default follows the desktop's choice.")
        self.audio_device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.audio_device_combo.setMinimumContentsLength(28)
        self._audio_devices: list[tuple[int, str]] = []
        self._audio_devices_listed = False  # filled when the dialog is first shown
        form = _form(box)
        self._row(form, "&Output:", self.audio_device_combo)
        return box

    def _build_projects(self) -> QGroupBox:
        box = _group("Projects", "projectsGroup")
        self.autosave_spin = _named(QSpinBox(), "autosaveSpin", "Autosave interval in seconds")
        self.autosave_spin.setRange(0, MAX_AUTOSAVE_SECONDS)
        self.autosave_spin.setSingleStep(30)
        self.autosave_spin.setSuffix(" s")
        self.autosave_spin.setSpecialValueText("Off")
        self.autosave_spin.setToolTip("The longest unsaved changes wait before the project is saved. 0: off.")
        self.reopen_check = _named(QCheckBox("Reopen the last project at start"), "reopenCheck",
                                   "Reopen the last project at start")
        form = _form(box)
        self._row(form, "&Autosave:", self.autosave_spin)
        form.addRow("", self.reopen_check)
        return box

    def _build_appearance(self) -> QGroupBox:
        box = _group("Appearance", "appearanceGroup")
        self.theme_combo = _combo("themeCombo", "Theme", THEME_LABELS)
        form = _form(box)
        self._row(form, "&Theme:", self.theme_combo)
        return box

    def _row(self, form: QFormLayout, text: str, field, buddy: QWidget | None = None) -> None:
        label = QLabel(text)
        label.setBuddy(buddy or field)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._labels.append(label)
        form.addRow(label, field)

    # ----- values ---------------------------------------------------------------------------
    def _show(self, s: Settings) -> None:
        self.folders_list.clear()
        for folder in s.model_folders:
            self._append_folder(folder)
        _select(self.device_combo, s.device)
        _select(self.precision_combo, s.precision)
        _select(self.memory_mode_combo, s.memory_mode)
        self.previews_check.setChecked(s.previews)
        self.preview_every_spin.setValue(s.preview_every)
        self._update_preview_suffix(s.preview_every)
        self.autosave_spin.setMaximum(max(MAX_AUTOSAVE_SECONDS, s.autosave_seconds))
        self.autosave_spin.setValue(s.autosave_seconds)
        self.reopen_check.setChecked(s.reopen_last_project)
        _select(self.theme_combo, s.theme)
        self._show_audio_device(s.audio_device)
        self._update_preview_spin(s.previews)
        self._update_buttons()

    def model_folders(self) -> list[str]:
        return [self.folders_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.folders_list.count())]

    def result_settings(self) -> Settings:
        """A new Settings: the one given, with this dialog's values. Call again for a fresh copy."""
        result = self._base.copy()
        result.model_folders = self.model_folders()
        result.device = self.device_combo.currentData()
        result.precision = self.precision_combo.currentData()
        result.memory_mode = self.memory_mode_combo.currentData()
        result.previews = self.previews_check.isChecked()
        result.preview_every = self.preview_every_spin.value()
        result.autosave_seconds = self.autosave_spin.value()
        result.reopen_last_project = self.reopen_check.isChecked()
        result.theme = self.theme_combo.currentData()
        result.audio_device = self.audio_device_combo.currentData()
        return result

    # ----- sound output ----------------------------------------------------------------------
    def _show_audio_device(self, name: str) -> None:
        """The combo holds the current choice only until the dialog is shown: listing devices
        starts PortAudio, which the app does not need at its start (list_audio_devices)."""
        combo = self.audio_device_combo
        combo.clear()
        combo.addItem("System default", "")
        for _index, device in self._audio_devices:
            if device != "default":  # ALSA's "default" is the system default, already first
                combo.addItem(device, device)
        if name and combo.findData(name) < 0:
            # Kept, not dropped: it may be a USB interface that is unplugged right now.
            combo.addItem(f"{name} (not connected)" if self._audio_devices_listed else name, name)
        _select(combo, name)

    def list_audio_devices(self) -> list[tuple[int, str]]:
        """(index, name) of the output devices; tests replace this."""
        from .audio.output import output_devices

        return output_devices()

    def showEvent(self, event) -> None:
        if not self._audio_devices_listed:
            self._audio_devices = self.list_audio_devices()
            self._audio_devices_listed = True
            self._show_audio_device(self.audio_device_combo.currentData() or "")
            if not self._audio_devices:
                self.audio_device_combo.setToolTip("No sound output device was found; the system default is used.")
        super().showEvent(event)

    # ----- folders --------------------------------------------------------------------------
    def choose_folder(self) -> str | None:
        """Ask for a folder; None when cancelled. Tests replace this."""
        folders = self.model_folders()
        start = folders[-1] if folders else str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Add model folder", start)
        return chosen or None

    @Slot()
    def add_folder(self) -> None:
        chosen = self.choose_folder()
        if not chosen:
            return
        folder = str(Path(chosen))
        existing = self.model_folders()
        if folder in existing:
            row = existing.index(folder)
        else:
            self._append_folder(folder)
            row = self.folders_list.count() - 1
        self.folders_list.setCurrentRow(row)

    @Slot()
    def remove_selected_folders(self) -> None:
        for item in self.folders_list.selectedItems():
            self.folders_list.takeItem(self.folders_list.row(item))
        self._update_buttons()

    def _append_folder(self, folder: str) -> None:
        item = QListWidgetItem(folder)
        item.setData(Qt.ItemDataRole.UserRole, folder)
        if Path(folder).is_dir():
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon))
            item.setToolTip(folder)
        else:  # shown, not dropped: it may be on a drive that is not plugged in right now
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            item.setToolTip(f"{folder}\nNot found: remove it, or connect the drive it is on.")
        self.folders_list.addItem(item)

    # ----- state ----------------------------------------------------------------------------
    @Slot()
    def _update_buttons(self) -> None:
        self.remove_folder_button.setEnabled(bool(self.folders_list.selectedItems()))

    @Slot(bool)
    def _update_preview_spin(self, on: bool) -> None:
        self.preview_every_spin.setEnabled(on)

    @Slot(int)
    def _update_preview_suffix(self, steps: int) -> None:
        self.preview_every_spin.setSuffix(" step" if steps == 1 else " steps")

    @Slot()
    def accept(self) -> None:
        super().accept()
        self.settings_accepted.emit(self.result_settings())


def _named(widget, name: str, accessible: str):
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget


def _group(title: str, name: str) -> QGroupBox:
    return _named(QGroupBox(title), name, title)


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(8)
    return form


def _combo(name: str, accessible: str, items) -> QComboBox:
    combo = _named(QComboBox(), name, accessible)
    for value, label in items:
        combo.addItem(label, value)
    return combo


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
