"""Save Sound As: where, in which format, at which sample rate, and whether to bring it to a
loudness target (streaming, podcast, broadcast) under a -1 dBTP ceiling. The writing happens on
the project thread (media/export.py); this only asks."""

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from ...media.audio_file import EXPORT_FORMATS
from ...media.loudness import PRESETS
from ..widgets import named

LOUDNESS_CHOICES = (
    ("Keep as made", None),
    (f"Streaming: {PRESETS['streaming']:g} LUFS", PRESETS["streaming"]),
    (f"Podcast: {PRESETS['podcast']:g} LUFS", PRESETS["podcast"]),
    (f"Broadcast (EBU R128): {PRESETS['broadcast']:g} LUFS", PRESETS["broadcast"]),
)
RATE_CHOICES = (("As made", None), ("44.1 kHz", 44100), ("48 kHz", 48000))


class SoundExportDialog(QDialog):
    chosen = Signal(object, str, object, object)  # path, format key, target LUFS or None, rate or None

    def __init__(self, suggested: Path, parent=None):
        super().__init__(parent)
        self.setObjectName("soundExportDialog")
        self.setWindowTitle("Save Sound As")
        self.path_edit = named(QLineEdit(str(suggested)), "soundPathEdit", "File")
        browse = named(QPushButton("Browse..."), "soundBrowseButton", "Choose the file")
        browse.clicked.connect(self._browse)
        self.format_combo = named(QComboBox(), "soundFormatCombo", "Format")
        for spec in EXPORT_FORMATS:
            self.format_combo.addItem(spec.label, spec)
        self.format_combo.setCurrentIndex(next(i for i, spec in enumerate(EXPORT_FORMATS) if spec.key == "wav24"))
        self.format_combo.currentIndexChanged.connect(self._follow_format)
        self.loudness_combo = named(QComboBox(), "loudnessCombo", "Loudness")
        for label, lufs in LOUDNESS_CHOICES:
            self.loudness_combo.addItem(label, lufs)
        self.loudness_combo.setToolTip("Bring the sound to a loudness target (ITU-R BS.1770), its peaks kept "
                                       "under -1 dBTP by a limiter")
        self.rate_combo = named(QComboBox(), "sampleRateCombo", "Sample rate")
        for label, rate in RATE_CHOICES:
            self.rate_combo.addItem(label, rate)

        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", path_row)
        form.addRow("Format", self.format_combo)
        form.addRow("Loudness", self.loudness_combo)
        form.addRow("Sample rate", self.rate_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.setObjectName("soundExportButtons")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._follow_format()
        self.resize(520, self.sizeHint().height())

    def accept(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            self.path_edit.setFocus()
            return
        spec = self.format_combo.currentData()
        self.chosen.emit(Path(text).expanduser(), spec.key, self.loudness_combo.currentData(),
                         self.rate_combo.currentData())
        super().accept()

    @Slot()
    def _follow_format(self) -> None:
        """The file name ends as the format does."""
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(Path(text).with_suffix(self.format_combo.currentData().suffix)))

    @Slot()
    def _browse(self) -> None:
        spec = self.format_combo.currentData()
        path, _ = QFileDialog.getSaveFileName(self, "Save sound as", self.path_edit.text(),
                                              f"{spec.label} (*{spec.suffix})")
        if path:
            self.path_edit.setText(str(Path(path).with_suffix(spec.suffix)))
