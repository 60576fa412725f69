"""The prompt panel's fields for sound: length for every sound task, and for songs the lyrics,
tempo, key, time signature and language. Built the first time a sound model is chosen, so a
window that only ever makes images never pays for it."""

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QPlainTextEdit, QSpinBox, QWidget

from ..core.tasks import MAX_SECONDS
from ..core.tasks.audio import SONG_LANGUAGES
from .widgets import named

KEYS = ("", *(f"{note} {mode}" for mode in ("major", "minor")
              for note in ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")))
TIME_SIGNATURES = ("", "2", "3", "4", "6")
# Default length per task: a sound effect or loop is short, a song is a song.
DEFAULT_SECONDS = {"text-to-audio": 10.0, "music": 15.0, "song": 60.0}


class SoundFields(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("soundFields")
        self.seconds_spin = named(QDoubleSpinBox(), "secondsSpin", "Length in seconds")
        self.seconds_spin.setRange(0.5, MAX_SECONDS)
        self.seconds_spin.setDecimals(1)
        self.seconds_spin.setSingleStep(1.0)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.setValue(10.0)
        self.seconds_spin.setToolTip("How long a sound to make; each model has its longest and says so")
        self.lyrics_edit = named(QPlainTextEdit(), "lyricsEdit", "Lyrics")
        self.lyrics_edit.setPlaceholderText("[verse]\nFirst line of the song\n\n[chorus]\n...")
        self.lyrics_edit.setMinimumHeight(90)
        self.bpm_spin = named(QSpinBox(), "bpmSpin", "Tempo (BPM)")
        self.bpm_spin.setRange(29, 300)  # 29 shows as "Auto": the model chooses
        self.bpm_spin.setSpecialValueText("Auto")
        self.bpm_spin.setValue(29)
        self.key_combo = named(QComboBox(), "keyCombo", "Key")
        self.key_combo.addItems(KEYS)
        self.key_combo.setItemText(0, "Auto")
        self.time_signature_combo = named(QComboBox(), "timeSignatureCombo", "Time signature (beats per bar)")
        self.time_signature_combo.addItems(TIME_SIGNATURES)
        self.time_signature_combo.setItemText(0, "Auto")
        self.language_combo = named(QComboBox(), "languageCombo", "Language of the lyrics")
        self.language_combo.addItems(SONG_LANGUAGES)

        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Length", self.seconds_spin)
        self.lyrics_label = QLabel("Lyrics")
        self.form.addRow(self.lyrics_label, self.lyrics_edit)
        self.form.addRow("Tempo", self.bpm_spin)
        self.form.addRow("Key", self.key_combo)
        self.form.addRow("Beats per bar", self.time_signature_combo)
        self.form.addRow("Language", self.language_combo)
        self._song_rows = (self.lyrics_edit, self.bpm_spin, self.key_combo, self.time_signature_combo,
                           self.language_combo)
        self._task = ""

    def show_task(self, task: str) -> None:
        """Show the fields ``task`` takes; its default length when the task changes."""
        for widget in self._song_rows:
            self.form.setRowVisible(widget, task == "song")
        if task != self._task:
            self.seconds_spin.setValue(DEFAULT_SECONDS.get(task, 10.0))
        self._task = task

    def values(self) -> dict:
        """Every sound field; a request takes the ones its task has."""
        return dict(
            seconds=self.seconds_spin.value(),
            lyrics=self.lyrics_edit.toPlainText().strip(),
            bpm=None if self.bpm_spin.value() == self.bpm_spin.minimum() else self.bpm_spin.value(),
            key=KEYS[self.key_combo.currentIndex()],
            time_signature=TIME_SIGNATURES[self.time_signature_combo.currentIndex()],
            language=self.language_combo.currentText(),
        )
