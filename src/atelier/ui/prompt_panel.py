"""The prompt panel: model, prompt, negative prompt, init image and strength, seed, steps,
guidance, sampler, size and count, and for sound models their own fields; Generate and Cancel;
the running job's progress. The chosen model's family picks the task, and the panel shows the
fields that task takes. It turns the form into an immutable request and knows nothing about
threads."""

import dataclasses
import random

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from ..core.families import native_side
from ..core.schedulers import DEFAULT_SCHEDULER, SCHEDULER_NAMES
from ..core.tasks import (AUDIO_TASKS, MAX_BATCH, MAX_SEED, MAX_SIDE, MAX_STEPS, AudioToAudioRequest,
                          ImageToImageRequest, MusicRequest, Request, SongRequest, TextToAudioRequest,
                          TextToImageRequest)
from .init_image_box import InitImage, InitImageBox
from .widgets import named, spin_box

# Sizes each family was trained around (width, height); the first is its default.
SIZE_PRESETS = {
    "sd15": [(512, 512), (512, 768), (768, 512), (640, 448), (448, 640)],
    "sd2": [(768, 768), (768, 1024), (1024, 768), (512, 512)],
    "sdxl": [(1024, 1024), (832, 1216), (1216, 832), (896, 1152), (1152, 896), (768, 1344), (1344, 768)],
    "sd3": [(1024, 1024), (832, 1216), (1216, 832), (768, 1344), (1344, 768)],
    "flux": [(1024, 1024), (832, 1216), (1216, 832), (768, 1344), (1344, 768)],
    "pixart": [(1024, 1024), (832, 1216), (1216, 832)],
}
_HISTORY_SHOWN = 30
# The request each sound task makes: it takes the form's values its fields name.
SOUND_REQUESTS = {cls.task: cls for cls in (TextToAudioRequest, MusicRequest, SongRequest)}
# ... and with a sound to start from (Stable Audio).
FROM_SOUND = {"text-to-audio": AudioToAudioRequest}
# What the prompt box asks for, per task.
_PROMPT_HINTS = {
    "text-to-audio": "Describe the sound ...  e.g. rain on a tin roof, 120 BPM drum loop  (Ctrl+Enter generates)",
    "music": "Describe the music ...  e.g. lo-fi piano with warm bass  (Ctrl+Enter generates)",
    "song": "Describe the style ...  e.g. pop, female vocal, piano, upbeat  (Ctrl+Enter generates)",
}
_IMAGE_HINT = "Describe the image ...  (Ctrl+Enter generates)"


class PromptPanel(QWidget):
    generate_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumWidth(300)
        self.prompt_history: list[str] = []  # newest first, no duplicates
        self._last_seed: int | None = None
        layout = QVBoxLayout(self)

        self.model_combo = named(QComboBox(), "modelCombo", "Model")
        self.model_combo.setEnabled(False)
        self.model_combo.addItem("Looking for models ...")
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)

        self.prompt_edit = named(QPlainTextEdit(), "promptEdit", "Prompt")
        self.prompt_edit.setPlaceholderText(_IMAGE_HINT)
        self.history_button = named(QToolButton(), "promptHistoryButton", "Earlier prompts")
        self.history_button.setText("History")
        self.history_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.history_menu = QMenu(self.history_button)
        self.history_menu.aboutToShow.connect(self._fill_history_menu)
        self.history_button.setMenu(self.history_menu)
        self.negative_edit = named(QPlainTextEdit(), "negativePromptEdit", "Negative prompt")
        self.negative_edit.setPlaceholderText("What to avoid (optional)")
        self.negative_edit.setMaximumHeight(70)
        self.negative_label = QLabel("Negative prompt")
        self.sound_fields = None  # SoundFields, made when a sound model is first chosen
        self.task = "text-to-image"
        self.init_image_box = InitImageBox()
        self.choose_init_image_requested = self.init_image_box.choose_requested

        # QSpinBox is 32-bit signed; seeds go to 2**32 - 1, which a 0-decimal double holds exactly.
        self.seed_spin = named(QDoubleSpinBox(), "seedSpin", "Seed")
        self.seed_spin.setDecimals(0)
        self.seed_spin.setRange(-1, MAX_SEED)
        self.seed_spin.setValue(-1)
        self.seed_spin.setSpecialValueText("Random")
        self.dice_button = named(QToolButton(), "seedDiceButton", "Random seed")
        self.dice_button.setText("Random")
        self.dice_button.setToolTip("A new random seed each time")
        self.dice_button.clicked.connect(lambda: self.seed_spin.setValue(-1))
        self.lock_button = named(QToolButton(), "seedLockButton", "Keep the last seed")
        self.lock_button.setText("Reuse")
        self.lock_button.setToolTip("Keep the seed of the last image")
        self.lock_button.clicked.connect(self._lock_seed)
        self.steps_spin = spin_box("stepsSpin", "Steps", 1, MAX_STEPS, 25)
        self.guidance_spin = named(QDoubleSpinBox(), "guidanceSpin", "Guidance (CFG scale)")
        self.guidance_spin.setRange(0.0, 50.0)
        self.guidance_spin.setSingleStep(0.5)
        self.guidance_spin.setValue(7.0)
        self.scheduler_combo = named(QComboBox(), "schedulerCombo", "Sampler")
        self.scheduler_combo.addItems(SCHEDULER_NAMES)
        self.scheduler_combo.setCurrentText(DEFAULT_SCHEDULER)
        self.size_combo = named(QComboBox(), "sizePresetCombo", "Size preset")
        self.size_combo.activated.connect(self._on_preset_chosen)
        self.width_spin = spin_box("widthSpin", "Width", 8, MAX_SIDE, 512, step=8)
        self.height_spin = spin_box("heightSpin", "Height", 8, MAX_SIDE, 512, step=8)
        self.width_spin.valueChanged.connect(self._sync_preset)
        self.height_spin.valueChanged.connect(self._sync_preset)
        self.batch_spin = spin_box("batchSpin", "Images", 1, MAX_BATCH, 1)
        self._fill_presets("sd15")

        prompt_row = QHBoxLayout()
        prompt_row.addWidget(QLabel("Prompt"))
        prompt_row.addStretch(1)
        prompt_row.addWidget(self.history_button)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.dice_button)
        seed_row.addWidget(self.lock_button)
        self._size_row = size_row = QHBoxLayout()
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("x"))
        size_row.addWidget(self.height_spin)
        self.form = form = QFormLayout()
        form.addRow("Seed", seed_row)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Guidance", self.guidance_spin)
        form.addRow("Sampler", self.scheduler_combo)
        form.addRow("Size", self.size_combo)
        form.addRow("", size_row)
        self.batch_label = QLabel("Images")
        form.addRow(self.batch_label, self.batch_spin)

        self.generate_button = named(QPushButton("Generate"), "generateButton", "Generate")
        self.generate_button.setDefault(True)
        self.generate_button.setMinimumHeight(36)
        self.generate_button.clicked.connect(self.generate_requested)
        self.cancel_button = named(QPushButton("Cancel"), "cancelButton", "Cancel generation")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 3)
        buttons.addWidget(self.cancel_button, 1)
        self.progress_bar = named(QProgressBar(), "progressBar", "Progress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("Idle")
        self.progress_bar.setValue(0)
        # Opaque, so that its repaint on every step does not repaint the panel and window behind.
        self.progress_bar.setAutoFillBackground(True)
        self.message_label = named(QLabel(""), "messageLabel", "Message")
        self.message_label.setWordWrap(True)

        layout.addWidget(QLabel("Model"))
        layout.addWidget(self.model_combo)
        layout.addLayout(prompt_row)
        layout.addWidget(self.prompt_edit, 2)
        layout.addWidget(self.negative_label)
        layout.addWidget(self.negative_edit, 1)
        layout.addWidget(self.init_image_box)
        self._sound_index = layout.count()  # where the sound fields go when first made
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.message_label)

    # ----- reading the form -----------------------------------------------------------------
    def request(self) -> Request:
        """The form as an immutable request; RequestError names a bad field."""
        if self.task in SOUND_REQUESTS:
            values = {**self.common_values(), **self.sound_fields.values()}
            cls = FROM_SOUND.get(self.task, SOUND_REQUESTS[self.task]) if "init_audio" in values \
                else SOUND_REQUESTS[self.task]
            return cls(**{field.name: values[field.name] for field in dataclasses.fields(cls) if field.name in values})
        init = self.init_image_box.current
        if init is not None:
            return ImageToImageRequest(init_image=init.asset, strength=self.init_image_box.strength,
                                       **self.common_values())
        return TextToImageRequest(**self.common_values())

    def common_values(self) -> dict:
        """What every request of the form shares: prompt, sampling, size."""
        return dict(
            prompt=self.prompt_edit.toPlainText().strip(),
            negative_prompt=self.negative_edit.toPlainText().strip(),
            seed=None if self.seed_spin.value() < 0 else int(self.seed_spin.value()),
            steps=self.steps_spin.value(),
            guidance=self.guidance_spin.value(),
            width=self.width_spin.value(),
            height=self.height_spin.value(),
            scheduler=self.scheduler_combo.currentText(),
            batch_size=self.batch_spin.value(),
        )

    def current_model(self):
        return self.model_combo.currentData()

    def set_init_image(self, image: InitImage) -> None:
        """Start the next request from ``image``; the size follows it, capped by the model's
        native size (the artist may change it after)."""
        from ..core.init_image import fit_size  # numpy and Pillow: not at the window's start

        info = self.current_model()
        self.init_image_box.set_image(image)
        width, height = fit_size(image.width, image.height, native_side(info.family) if info else 512)
        self.width_spin.setValue(width)
        self.height_spin.setValue(height)

    def start_from_sound(self, sound) -> bool:
        """Start the next request from ``sound`` (a sound_fields.InitSound), on a Stable Audio
        model: the one chosen, or the first listed. False when there is none."""
        if self.task != "text-to-audio":
            combo = self.model_combo
            index = next((i for i in range(combo.count()) if combo.itemData(i) is not None
                          and AUDIO_TASKS.get(combo.itemData(i).family) == "text-to-audio"), None)
            if index is None:
                return False
            combo.setCurrentIndex(index)
        self.sound_fields.set_init_sound(sound)
        return True

    # ----- filling the form -----------------------------------------------------------------
    def set_models(self, models: list) -> None:
        self.model_combo.clear()
        # Image models first (the first is chosen at the start), then sound models.
        for model in sorted(models, key=lambda model: model.kind == "audio"):
            sound = "♪ " if model.kind == "audio" else ""
            self.model_combo.addItem(f"{sound}{model.name}  [{model.family}]", model)
            self.model_combo.setItemData(self.model_combo.count() - 1, str(model.path), Qt.ItemDataRole.ToolTipRole)
        if not models:
            self.model_combo.addItem("No models found")
        self.model_combo.setEnabled(bool(models))

    def remember_prompt(self, prompt: str) -> None:
        if prompt:
            self.prompt_history = [prompt] + [p for p in self.prompt_history if p != prompt]

    def remember_seed(self, seed: int) -> None:
        self._last_seed = seed

    def use_prompt(self, prompt: str, negative: str) -> None:
        self.prompt_edit.setPlainText(prompt)
        self.negative_edit.setPlainText(negative)

    def use_seed(self, seed: int) -> None:
        self.seed_spin.setValue(seed)

    def show_progress(self, text: str | None = None, value: int | None = None, maximum: int | None = None) -> None:
        """Change the progress bar, repainted once with the next frame. QProgressBar's setters
        each repaint it at once, synchronously: on every step, that is CPU taken from the engine."""
        bar = self.progress_bar
        bar.setUpdatesEnabled(False)
        if maximum is not None and bar.maximum() != maximum:
            bar.setRange(0, maximum)
        if value is not None:
            bar.setValue(value)
        if text is not None:
            bar.setFormat(text)
        bar.setUpdatesEnabled(True)  # schedules the one repaint

    def set_message(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setProperty("error", error)
        self.message_label.setStyleSheet("color: #ff8a80;" if error else "")

    # ----- internals -------------------------------------------------------------------------
    @Slot()
    def _lock_seed(self) -> None:
        if self._last_seed is not None:
            self.seed_spin.setValue(self._last_seed)
        elif self.seed_spin.value() < 0:
            self.seed_spin.setValue(random.SystemRandom().randrange(MAX_SEED + 1))  # os.urandom, as secrets

    @Slot(int)
    def _on_model_changed(self, _index: int) -> None:
        info = self.current_model()
        if info is None:
            return
        self._show_task(AUDIO_TASKS.get(info.family, "text-to-image"))
        family = info.family.split("-")[0]
        self._fill_presets(family)
        if family in SIZE_PRESETS:
            width, height = SIZE_PRESETS[family][0]
            self.width_spin.setValue(width)
            self.height_spin.setValue(height)

    def _show_task(self, task: str) -> None:
        """Show the fields ``task`` takes, with its own steps and guidance when it changes."""
        sound = task in SOUND_REQUESTS
        if sound and self.sound_fields is None:
            from .sound_fields import SoundFields

            self.sound_fields = SoundFields()
            self.layout().insertWidget(self._sound_index, self.sound_fields)
        if self.sound_fields is not None:
            self.sound_fields.setVisible(sound)
            self.sound_fields.show_task(task)
        fields = dataclasses.fields(SOUND_REQUESTS.get(task, TextToImageRequest))
        takes = {field.name for field in fields}
        self.negative_label.setVisible("negative_prompt" in takes)
        self.negative_edit.setVisible("negative_prompt" in takes)
        self.init_image_box.setVisible(not sound)
        self.form.setRowVisible(self.steps_spin, "steps" in takes)
        self.form.setRowVisible(self.scheduler_combo, "scheduler" in takes)
        self.form.setRowVisible(self.size_combo, "width" in takes)
        self.form.setRowVisible(self._size_row, "width" in takes)
        self.batch_label.setText("Sounds" if sound else "Images")
        self.prompt_edit.setPlaceholderText(_PROMPT_HINTS.get(task, _IMAGE_HINT))
        if task != self.task:
            defaults = {field.name: field.default for field in fields}
            self.steps_spin.setValue(defaults.get("steps", self.steps_spin.value()))
            self.guidance_spin.setValue(defaults["guidance"])
        self.task = task

    def _fill_presets(self, family: str) -> None:
        self.size_combo.clear()
        for width, height in SIZE_PRESETS.get(family, SIZE_PRESETS["sd15"]):
            self.size_combo.addItem(f"{width} × {height}", (width, height))
        self.size_combo.addItem("Custom", None)
        self._sync_preset()

    @Slot(int)
    def _on_preset_chosen(self, index: int) -> None:
        size = self.size_combo.itemData(index)
        if size is not None:
            self.width_spin.setValue(size[0])
            self.height_spin.setValue(size[1])

    @Slot()
    def _sync_preset(self) -> None:
        """Show the preset matching the spins, or Custom. (``findData`` cannot match a Python
        tuple: Qt compares the wrapped objects by identity, so it always said Custom.)"""
        size = [self.width_spin.value(), self.height_spin.value()]
        combo = self.size_combo
        index = next((i for i in range(combo.count()) if combo.itemData(i) is not None
                      and list(combo.itemData(i)) == size), combo.count() - 1)
        combo.setCurrentIndex(index)

    @Slot()
    def _fill_history_menu(self) -> None:
        self.history_menu.clear()
        search = QLineEdit()
        search.setObjectName("promptHistorySearch")
        search.setPlaceholderText("Search earlier prompts ...")
        holder = QWidgetAction(self.history_menu)
        holder.setDefaultWidget(search)
        self.history_menu.addAction(holder)
        actions = []
        for prompt in self.prompt_history:
            text = prompt.replace("\n", " ")
            action = QAction(text if len(text) <= 70 else text[:69] + "…", self.history_menu)
            action.setData(prompt)
            action.setToolTip(prompt)
            action.triggered.connect(self._on_history_chosen)
            actions.append(action)
        self.history_menu.addActions(actions[:_HISTORY_SHOWN])

        def filter_actions(text: str) -> None:
            needle = text.lower()
            shown = 0
            for action in actions:
                visible = needle in action.data().lower() and shown < _HISTORY_SHOWN
                action.setVisible(visible)
                shown += visible
            self.history_menu.addActions([a for a in actions if a.isVisible() and a not in self.history_menu.actions()])

        search.textChanged.connect(filter_actions)
        if not actions:
            self.history_menu.addAction("(no earlier prompts)").setEnabled(False)

    @Slot()
    def _on_history_chosen(self) -> None:
        self.prompt_edit.setPlainText(self.sender().data())
