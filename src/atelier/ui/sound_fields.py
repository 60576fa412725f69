"""The prompt panel's fields for sound: length for every sound task; for Stable Audio a sound to
start from, with its strength; for songs the lyrics, tempo, key, time signature and language.
Built the first time a sound model is chosen, so a window that only ever makes images never pays
for it."""

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from ..core.limits import MAX_SECONDS
from ..core.tasks.audio import SONG_LANGUAGES
from .widgets import named

KEYS = ("", *(f"{note} {mode}" for mode in ("major", "minor")
              for note in ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")))
TIME_SIGNATURES = ("", "2", "3", "4", "6")
# Default length per task: a sound effect or loop is short, a song is a song.
DEFAULT_SECONDS = {"text-to-audio": 10.0, "music": 15.0, "song": 60.0}


@dataclass(frozen=True)
class InitSound:
    """A sound in the project to start the next Stable Audio request from."""

    asset: str
    label: str  # what the artist knows it by: its prompt
    seconds: float | None


class SoundFields(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("soundFields")
        self.seconds_spin = named(QDoubleSpinBox(), "secondsSpin", "Length in seconds")
        self.seconds_spin.setRange(0.1, MAX_SECONDS)
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
        self.init_sound: InitSound | None = None
        self.init_label = named(QLabel(), "initSoundLabel", "Sound to start from")
        self.init_label.setTextFormat(Qt.TextFormat.PlainText)
        self.strength_spin = named(QDoubleSpinBox(), "soundStrengthSpin", "Strength")
        self.strength_spin.setRange(0.0, 1.0)
        self.strength_spin.setSingleStep(0.05)
        self.strength_spin.setValue(0.5)
        self.strength_spin.setToolTip("How much to change the sound: 0 keeps it, 1 keeps little more than its length")
        self.clear_init_button = named(QToolButton(), "clearInitSoundButton", "Clear the sound to start from")
        self.clear_init_button.setText("Clear")
        self.clear_init_button.clicked.connect(lambda: self.set_init_sound(None))
        init_row = QHBoxLayout()
        init_row.addWidget(self.init_label, 1)
        init_row.addWidget(self.strength_spin)
        init_row.addWidget(self.clear_init_button)

        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Start from", init_row)
        self._init_row = init_row
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

    def set_init_sound(self, sound: InitSound | None) -> None:
        """Start the next Stable Audio request from ``sound`` (None: from nothing); the length
        follows it."""
        self.init_sound = sound
        if sound is not None:
            length = f" ({sound.seconds:g} s)" if sound.seconds else ""
            self.init_label.setText(f"{sound.label or 'a sound'}{length}")
            self.init_label.setToolTip(sound.label)
            if sound.seconds:
                self.seconds_spin.setValue(sound.seconds)
        self.form.setRowVisible(self._init_row, sound is not None and self._task == "text-to-audio")

    def show_task(self, task: str) -> None:
        """Show the fields ``task`` takes; its default length when the task changes."""
        self.form.setRowVisible(self._init_row, self.init_sound is not None and task == "text-to-audio")
        for widget in self._song_rows:
            self.form.setRowVisible(widget, task == "song")
        if task != self._task:
            self.seconds_spin.setValue(DEFAULT_SECONDS.get(task, 10.0))
        self._task = task

    def values(self) -> dict:
        """Every sound field; a request takes the ones its task has."""
        start = {} if self.init_sound is None else {"init_audio": self.init_sound.asset,
                                                    "strength": self.strength_spin.value()}
        return dict(
            **start,
            seconds=self.seconds_spin.value(),
            lyrics=self.lyrics_edit.toPlainText().strip(),
            bpm=None if self.bpm_spin.value() == self.bpm_spin.minimum() else self.bpm_spin.value(),
            key=KEYS[self.key_combo.currentIndex()],
            time_signature=TIME_SIGNATURES[self.time_signature_combo.currentIndex()],
            language=self.language_combo.currentText(),
        )
