"""The prompt panel: model, prompt, negative prompt, init image and strength, seed, steps,
guidance, sampler, size and count, and for sound models their own fields; Generate and Cancel;
the running job's progress. The chosen model's family picks the task, and the panel shows the
fields that task takes. It turns the form into an immutable request and knows nothing about
threads."""

import dataclasses
import random
from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from ..core.errors import RequestError
from ..core.families import AUDIO_TASKS, native_side
from ..core.limits import MAX_BATCH, MAX_SECONDS, MAX_SEED, MAX_SIDE, MAX_STEPS
from ..core.schedulers import DEFAULT_SCHEDULER, SCHEDULER_NAMES, scheduler_spec
from .adapter_pickers import AdapterPickers
from .guidance_box import GuidanceBox
from .init_image_box import InitImage, InitImageBox
from .size_picker import SizePicker
from .widgets import MessageLine, named, spin_box

_HISTORY_SHOWN = 30
# The tasks that make sounds; the panel shows their own fields (ui/sound_fields.py).
SOUND_TASKS = frozenset(AUDIO_TASKS.values())
# What the prompt box asks for, per task.
_PROMPT_HINTS = {
    "text-to-audio": "Describe the sound ...  e.g. rain on a tin roof, 120 BPM drum loop  (Ctrl+Enter generates)",
    "music": "Describe the music ...  e.g. lo-fi piano with warm bass  (Ctrl+Enter generates)",
    "song": "Describe the style ...  e.g. pop, female vocal, piano, upbeat  (Ctrl+Enter generates)",
}
_IMAGE_HINT = "Describe the image ...  (Ctrl+Enter generates)"
# What apply_settings calls a setting it could not apply, where its field name will not do.
_SETTING_NAMES = {"negative_prompt": "negative prompt", "scheduler": "sampler", "init_image": "init image",
                  "init_audio": "sound to start from", "seconds": "length", "bpm": "tempo",
                  "time_signature": "beats per bar", "top_k": "top k", "batch_size": "count"}
# Restored by the adapter pickers, which say themselves what they could not restore.
_ADAPTER_SETTINGS = ("loras", "vae", "references")


class PromptPanel(QWidget):
    generate_requested = Signal()
    cancel_requested = Signal()
    rescan_requested = Signal()
    add_models_folder_requested = Signal()
    use_install_folder_requested = Signal()  # an A1111 / ComfyUI install's model folders
    message_link_activated = Signal(str)  # the name of a link in the message ("rescan", "settings")

    def __init__(self, parent=None):
        super().__init__(parent)
        # No minimum width of its own: the form scroll asks for what the form needs (_FormScroll).
        self.prompt_history: list[str] = []  # newest first, no duplicates
        self.project_prompts: list[str] = []  # the open project's, newest first: offered before the rest
        self._last_seed: int | None = None
        # Set by the window: the seed of the output the artist has selected (None: nothing is),
        # which Reuse takes before the last seed made.
        self.selected_seed: Callable[[], int | None] | None = None
        # Set by the window: read a project asset into an InitImage off the UI thread, then call
        # back with it (None: it could not be read); how apply_settings restores an init image.
        self.init_image_reader: Callable[[str, Callable[[InitImage | None], None]], None] | None = None
        self._init_image_wanted: str | None = None  # the asset an apply_settings is reading
        # The form scrolls when the window is shorter than it with its sections open (LoRAs,
        # guidance); Generate, the progress and the message stay in sight below it.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        content = QWidget()
        self._content_layout = layout = QVBoxLayout(content)
        self.form_scroll = named(_FormScroll(), "promptScroll", "Prompt and settings")
        self.form_scroll.setWidget(content)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        footer = QVBoxLayout()
        footer_margins = layout.contentsMargins()
        footer.setContentsMargins(footer_margins.left(), 4, footer_margins.right(), footer_margins.bottom())
        outer.addWidget(self.form_scroll, 1)
        outer.addLayout(footer)

        self.model_combo = named(QComboBox(), "modelCombo", "Model")
        self.model_combo.setEnabled(False)
        self.model_combo.addItem("Looking for models ...")
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self._size_note: str | None = None  # what the last change of model did to the size
        self.model_combo.activated.connect(self._say_size_note)

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
        self.adapter_pickers = AdapterPickers()  # LoRAs, VAE, reference image: image tasks only
        self.adapter_pickers.said.connect(lambda text: self.set_message(text, error=True))
        self.guidance_box = GuidanceBox()  # ControlNet: image tasks only; collapsed, its controls made when opened

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
        self.lock_button = named(QToolButton(), "seedLockButton", "Reuse the selected output's seed")
        self.lock_button.setText("Reuse")
        self.lock_button.setToolTip("Use the seed of the selected output (or of the last one made)")
        self.lock_button.clicked.connect(self._lock_seed)
        self.steps_spin = spin_box("stepsSpin", "Steps", 1, MAX_STEPS, 25)
        self.guidance_spin = named(QDoubleSpinBox(), "guidanceSpin", "Guidance (CFG scale)")
        self.guidance_spin.setRange(0.0, 50.0)
        self.guidance_spin.setSingleStep(0.5)
        self.guidance_spin.setValue(7.0)
        self.scheduler_combo = named(QComboBox(), "schedulerCombo", "Sampler")
        self.scheduler_combo.addItems(SCHEDULER_NAMES)
        self.scheduler_combo.setCurrentText(DEFAULT_SCHEDULER)
        self.size_picker = SizePicker()
        self.size_combo = self.size_picker.combo
        self.width_spin = self.size_picker.width_spin
        self.height_spin = self.size_picker.height_spin
        self.batch_spin = spin_box("batchSpin", "Images", 1, MAX_BATCH, 1)

        prompt_row = QHBoxLayout()
        prompt_row.addWidget(QLabel("Prompt"))
        prompt_row.addStretch(1)
        prompt_row.addWidget(self.history_button)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.dice_button)
        seed_row.addWidget(self.lock_button)
        self.form = form = QFormLayout()
        form.addRow("Seed", seed_row)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Guidance", self.guidance_spin)
        form.addRow("Sampler", self.scheduler_combo)
        form.addRow("Size", self.size_picker)
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
        self.message_label.linkActivated.connect(self.message_link_activated)
        self.message_line = MessageLine(self.message_label)

        layout.addWidget(QLabel("Model"))
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        self.rescan_button = named(QToolButton(), "rescanButton", "Rescan the models folders")
        self.rescan_button.setText("\u27f3")
        self.rescan_button.setToolTip("Look for models again (F5)")
        self.rescan_button.clicked.connect(self.rescan_requested)
        model_row.addWidget(self.rescan_button)
        layout.addLayout(model_row)
        # Shown while no model is found: the first run's two ways to give Atelier some.
        self.add_models_button = named(QToolButton(), "addModelsButton", "Add models")
        self.add_models_button.setText("Add Models...")
        self.add_models_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        add_menu = QMenu(self.add_models_button)
        add_menu.addAction("Add a Models Folder...").triggered.connect(self.add_models_folder_requested)
        add_menu.addAction("Use My A1111 / ComfyUI Folder...").triggered.connect(self.use_install_folder_requested)
        self.add_models_button.setMenu(add_menu)
        self.add_models_button.hide()
        model_row.insertWidget(1, self.add_models_button)
        layout.addLayout(prompt_row)
        layout.addWidget(self.prompt_edit, 2)
        layout.addWidget(self.negative_label)
        layout.addWidget(self.negative_edit, 1)
        layout.addWidget(self.init_image_box)
        layout.addWidget(self.adapter_pickers)
        layout.addWidget(self.guidance_box)
        self._sound_index = layout.count()  # where the sound fields go when first made
        layout.addLayout(form)
        footer.addLayout(buttons)
        footer.addWidget(self.progress_bar)
        footer.addWidget(self.message_line)

    # ----- reading the form -----------------------------------------------------------------
    def request(self):
        """The form as an immutable request; RequestError names a bad field (a ``<lora:...>``
        tag naming no listed LoRA included)."""
        cls, values = self._form_values(resolve_tags=True)
        return cls(**values)

    def form_settings(self) -> dict:
        """The form as recipe-style settings (its request's fields and task) plus "model_id",
        unchecked: what ``apply_settings`` takes back, e.g. to remember a project's last form."""
        cls, values = self._form_values()
        info = self.current_model()
        return {"task": cls.task, **values, "model_id": info.id if info is not None else None}

    def _form_values(self, resolve_tags: bool = False) -> tuple[type, dict]:
        """The request class the form makes now, and the form's values for its fields; with
        ``resolve_tags``, the prompt's ``<lora:...>`` tags join the picker's LoRAs."""
        values = self.common_values()
        if self.task not in SOUND_TASKS:
            values.update(self.adapter_pickers.values(values["prompt"] if resolve_tags else None))
        if self.task in SOUND_TASKS:
            values.update(self.sound_fields.values())
            cls = _request_type(self.task, from_sound="init_audio" in values)
        elif self.init_image_box.current is not None:
            values.update(init_image=self.init_image_box.current.asset, strength=self.init_image_box.strength)
            cls = _request_type("image-to-image")
        else:
            cls = _request_type("text-to-image")
        return cls, {field.name: values[field.name] for field in dataclasses.fields(cls) if field.name in values}

    def common_values(self) -> dict:
        """What every request of the form shares: prompt, sampling, size."""
        width, height = self.size_picker.chosen_size()  # a side still being typed counts, snapped
        return dict(
            prompt=self.prompt_edit.toPlainText().strip(),
            negative_prompt=self.negative_edit.toPlainText().strip(),
            seed=None if self.seed_spin.value() < 0 else int(self.seed_spin.value()),
            steps=self.steps_spin.value(),
            guidance=self.guidance_spin.value(),
            width=width,
            height=height,
            scheduler=self.scheduler_combo.currentText(),
            batch_size=self.batch_spin.value(),
        )

    def adapter_values(self, prompt: str) -> dict:
        """The LoRAs (the picker's and ``prompt``'s tags), VAE and reference images an image
        request of the form uses, as its ``loras``, ``vae`` and ``references``; RequestError
        names a tag or LoRA to fix."""
        return self.adapter_pickers.values(prompt)

    def current_model(self):
        return self.model_combo.currentData()

    def set_init_image(self, image: InitImage) -> None:
        """Start the next request from ``image``; the size follows it, capped by the model's
        native size (the artist may change it after)."""
        from ..core.init_image import fit_size  # numpy and Pillow: not at the window's start

        info = self.current_model()
        self.init_image_box.set_image(image)
        self.size_picker.set_size(*fit_size(image.width, image.height, native_side(info.family) if info else 512))

    def keep_picture_size(self, size: tuple[int, int] | None) -> None:
        """While Generate repaints a masked picture (``size``: its width and height), the size
        fields show that size greyed out, and say why; None: they choose the size again."""
        self.size_picker.show_fixed(size)
        self.size_picker.setToolTip("" if size is None else
                                    f"Generative fill keeps the picture's size ({size[0]}×{size[1]})")

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
        """List ``models``, keeping the chosen one chosen when it is still there (a rescan)."""
        chosen = self.current_model()
        self.model_combo.blockSignals(True)  # the form changes once, below, if the model did
        self.model_combo.clear()
        # Image models first (the first is chosen at the start), then sound models.
        for model in sorted(models, key=lambda model: model.kind == "audio"):
            sound = "♪ " if model.kind == "audio" else ""
            self.model_combo.addItem(f"{sound}{model.name}  [{model.family}]", model)
            self.model_combo.setItemData(self.model_combo.count() - 1, str(model.path), Qt.ItemDataRole.ToolTipRole)
        if not models:
            self.model_combo.addItem("No models found")
        self.model_combo.setEnabled(bool(models))
        self.add_models_button.setVisible(not models)
        kept = next((i for i in range(self.model_combo.count())
                     if chosen is not None and getattr(self.model_combo.itemData(i), "id", None) == chosen.id), None)
        self.model_combo.setCurrentIndex(kept if kept is not None else 0)
        self.model_combo.blockSignals(False)
        if kept is None:
            self._on_model_changed(self.model_combo.currentIndex())

    def set_parts(self, parts: list) -> None:
        """List the LoRAs, ControlNets, VAEs, IP-Adapters and image encoders a scan found (ModelInfo)."""
        self.adapter_pickers.set_parts(parts)
        self.guidance_box.set_parts(parts)

    def mark_missing(self, model_id: str) -> None:
        """Grey out a model found gone from disk, until the next scan drops it."""
        for i in range(self.model_combo.count()):
            info = self.model_combo.itemData(i)
            if getattr(info, "id", None) == model_id:
                self.model_combo.setItemText(i, f"{info.name}  (missing)")
                self.model_combo.setItemData(i, f"No longer at {info.path}", Qt.ItemDataRole.ToolTipRole)

    def remember_prompt(self, prompt: str) -> None:
        if prompt:
            self.prompt_history = [prompt] + [p for p in self.prompt_history if p != prompt]
            self.project_prompts = [prompt] + [p for p in self.project_prompts if p != prompt]

    def remember_seed(self, seed: int) -> None:
        self._last_seed = seed

    def use_prompt(self, prompt: str, negative: str) -> None:
        self.prompt_edit.setPlainText(prompt)
        self.negative_edit.setPlainText(negative)

    def use_seed(self, seed: int) -> None:
        self.seed_spin.setValue(seed)

    def apply_settings(self, settings: dict, model_id: str | None = None) -> list[str]:
        """Set the form from recipe-style settings (``core.recipe.settings_of``'s keys, or any
        request's fields, "task" included) on model ``model_id`` (else the settings' "model_id";
        the model stays when neither names one). Returns the human names of what could not be
        applied: the model when it is not installed, and settings the form's task has no field
        for, unless they hold what their task does anyway. An init image is read off the UI
        thread (``init_image_reader``) and set when it is ready."""
        missed = []
        model_id = model_id if model_id is not None else settings.get("model_id")
        if model_id:
            combo = self.model_combo
            index = next((i for i in range(combo.count()) if getattr(combo.itemData(i), "id", None) == model_id), None)
            if index is None:
                missed.append("model")
            else:
                combo.setCurrentIndex(index)
        from ..core.tasks import request_class

        source = request_class(settings.get("task") or "text-to-image")
        defaults = {f.name: f.default for f in dataclasses.fields(source)} if source is not None else {}
        setters = self._setters()
        self._init_image_wanted = None
        if self.task not in SOUND_TASKS:
            missed += self.adapter_pickers.apply(settings, self.init_image_reader)
            missed += self.guidance_box.apply(settings, self.init_image_reader)
        for key, value in settings.items():
            if key in ("task", "model_id", "controls", *_ADAPTER_SETTINGS):
                continue
            setter = setters.get(key)
            applied = setter is not None and _applied(setter, value)
            # JSON gives a list where the request's default is an empty tuple (controls: none).
            unused = key in defaults and (value == defaults[key] or value == [] and defaults[key] == ())
            if not applied and not unused:
                missed.append(_SETTING_NAMES.get(key, key.replace("_", " ")))
        # A setting left out is what its task does without it: no picture or sound to start from.
        if self.task in SOUND_TASKS:
            if "init_audio" not in settings:
                self.sound_fields.set_init_sound(None)
        elif "init_image" not in settings:
            self.init_image_box.clear()
        return missed

    def _setters(self) -> dict:
        """Per setting, what puts a value into the form's field for it on the current task;
        each returns False (or raises TypeError/ValueError) when the value does not fit."""
        sound = self.task in SOUND_TASKS
        takes = {f.name for f in dataclasses.fields(_request_type(self.task if sound else "image-to-image"))}
        if self.task == "text-to-audio":
            takes |= {f.name for f in dataclasses.fields(_request_type(self.task, from_sound=True))}
        setters = {
            "prompt": lambda v: self.prompt_edit.setPlainText(_checked_text(v)),
            "negative_prompt": lambda v: self.negative_edit.setPlainText(_checked_text(v)),
            "seed": lambda v: self.seed_spin.setValue(-1 if v is None else _in_range(v, 0, MAX_SEED)),
            "steps": lambda v: self.steps_spin.setValue(_in_range(v, 1, MAX_STEPS)),
            "guidance": lambda v: self.guidance_spin.setValue(float(_in_range(v, 0, 50, number=True))),
            "width": lambda v: self.size_picker.set_side("width", _in_range(v, 8, MAX_SIDE)),
            "height": lambda v: self.size_picker.set_side("height", _in_range(v, 8, MAX_SIDE)),
            "scheduler": lambda v: self.scheduler_combo.setCurrentText(scheduler_spec(_checked_text(v)).name),
            "batch_size": lambda v: self.batch_spin.setValue(_in_range(v, 1, MAX_BATCH)),
            "strength": self._set_strength,
            "init_image": self._restore_init_image,
        }
        if self.sound_fields is not None:
            from ..core.tasks.audio import SONG_LANGUAGES
            from .sound_fields import KEYS, TIME_SIGNATURES, InitSound

            fields = self.sound_fields
            setters.update({
                "seconds": lambda v: fields.seconds_spin.setValue(float(_in_range(v, 0.1, MAX_SECONDS, number=True))),
                "lyrics": lambda v: fields.lyrics_edit.setPlainText(_checked_text(v)),
                "bpm": lambda v: fields.bpm_spin.setValue(fields.bpm_spin.minimum() if v is None
                                                          else _in_range(v, 30, 300)),
                "key": lambda v: fields.key_combo.setCurrentIndex(KEYS.index(v)),
                "time_signature": lambda v: fields.time_signature_combo.setCurrentIndex(TIME_SIGNATURES.index(v)),
                "language": lambda v: fields.language_combo.setCurrentIndex(SONG_LANGUAGES.index(v)),
                "init_audio": lambda v: fields.set_init_sound(InitSound(_checked_text(v), "the sound it started from",
                                                                        fields.seconds_spin.value())),
            })
        return {key: setter for key, setter in setters.items() if key in takes}

    def _set_strength(self, value) -> None:
        value = _in_range(value, 0, 1, number=True)
        if self.task in SOUND_TASKS:
            self.sound_fields.strength_spin.setValue(value)
        else:
            self.init_image_box.set_strength(value)

    def _restore_init_image(self, asset) -> bool:
        current = self.init_image_box.current
        if current is not None and current.asset == asset:
            return True
        if self.init_image_reader is None or not isinstance(asset, str):
            return False
        self._init_image_wanted = asset
        self.init_image_reader(asset, self._on_init_image_read)
        return True

    def _on_init_image_read(self, image: InitImage | None) -> None:
        # Set as it is: the size was restored with the rest, and a later apply may want another.
        if image is not None and image.asset == self._init_image_wanted:
            self.init_image_box.set_image(image)

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

    def show_waiting(self, count: int) -> None:
        """Say on the Generate button how many jobs wait their turn (not the running one)."""
        self.generate_button.setText(f"Generate ({count} queued)" if count else "Generate")

    def set_message(self, text: str, error: bool = False, links: dict[str, str] | None = None) -> None:
        """Show one line for the artist. With ``links`` (name -> label), the text takes the first
        line (shortened in its middle to fit; whole in the tooltip) and the links the second,
        as clickable actions reported by ``message_link_activated``."""
        if links:
            import html  # only here: not needed for the first frame

            shown = self.message_label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle,
                                                                 self.message_label.width() - 4)
            actions = " · ".join(f'<a href="{name}">{html.escape(label)}</a>' for name, label in links.items())
            self.message_label.setTextFormat(Qt.TextFormat.RichText)
            self.message_label.setText(f"{html.escape(shown)}<br>{actions}")
        else:
            self.message_label.setTextFormat(Qt.TextFormat.PlainText)
            self.message_label.setText(text)
        self.message_label.setProperty("error", error)
        self.message_line.mark(text, error)

    # ----- internals -------------------------------------------------------------------------
    @Slot()
    def _lock_seed(self) -> None:
        selected = self.selected_seed() if self.selected_seed is not None else None
        seed = selected if selected is not None else self._last_seed
        if seed is not None:
            self.seed_spin.setValue(seed)
        elif self.seed_spin.value() < 0:
            self.seed_spin.setValue(random.SystemRandom().randrange(MAX_SEED + 1))  # os.urandom, as secrets

    @Slot(int)
    def _on_model_changed(self, _index: int) -> None:
        info = self.current_model()
        if info is None:
            return
        self._show_task(AUDIO_TASKS.get(info.family, "text-to-image"))
        if info.family in AUDIO_TASKS:
            return
        self.adapter_pickers.set_family(info.family)
        self.guidance_box.set_family(info.family)
        # Said only when the artist chose the model (activated follows at once): a form
        # restored from a recipe sets its own size after the model.
        self._size_note = self.size_picker.set_family(info.family.split("-")[0])
        if self._size_note is not None:
            QTimer.singleShot(0, self, self._forget_size_note)

    @Slot()
    def _say_size_note(self) -> None:
        if self._size_note is not None:
            self.set_message(self._size_note)
            self._size_note = None

    @Slot()
    def _forget_size_note(self) -> None:
        self._size_note = None

    def _show_task(self, task: str) -> None:
        """Show the fields ``task`` takes, with its own steps and guidance when it changes."""
        sound = task in SOUND_TASKS
        if sound and self.sound_fields is None:
            from .sound_fields import SoundFields

            self.sound_fields = SoundFields()
            self._content_layout.insertWidget(self._sound_index, self.sound_fields)
        if self.sound_fields is not None:
            self.sound_fields.setVisible(sound)
            self.sound_fields.show_task(task)
        fields = dataclasses.fields(_request_type(task if sound else "text-to-image"))
        takes = {field.name for field in fields}
        self.negative_label.setVisible("negative_prompt" in takes)
        self.negative_edit.setVisible("negative_prompt" in takes)
        self.init_image_box.setVisible(not sound)
        self.adapter_pickers.setVisible(not sound)
        self.guidance_box.setVisible(not sound)
        self.form.setRowVisible(self.steps_spin, "steps" in takes)
        self.form.setRowVisible(self.scheduler_combo, "scheduler" in takes)
        self.form.setRowVisible(self.size_picker, "width" in takes)
        self.batch_label.setText("Sounds" if sound else "Images")
        self.prompt_edit.setPlaceholderText(_PROMPT_HINTS.get(task, _IMAGE_HINT))
        if task != self.task:
            defaults = {field.name: field.default for field in fields}
            self.steps_spin.setValue(defaults.get("steps", self.steps_spin.value()))
            self.guidance_spin.setValue(defaults["guidance"])
        self.task = task

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
        for prompt in dict.fromkeys(self.project_prompts + self.prompt_history):
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


class _FormScroll(QScrollArea):
    """Scrolls the form up and down, never sideways: as wide as the form needs, with the scroll
    bar beside it, also after a section opens and the form needs more."""

    def setWidget(self, widget: QWidget) -> None:
        super().setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest and watched is self.widget():
            self.updateGeometry()  # the form's minimum width may have changed: the dock follows
        return super().eventFilter(watched, event)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if self.widget() is not None:
            hint.setWidth(self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width())
        return hint


def _applied(setter, value) -> bool:
    try:
        return setter(value) is not False
    except (TypeError, ValueError, RequestError):
        return False


def _checked_text(value) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _in_range(value, low, high, number: bool = False):
    """``value`` when it is an int (or, with ``number``, any number) from ``low`` to ``high``."""
    kinds = (int, float) if number else int
    if not isinstance(value, kinds) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{value!r} is not between {low} and {high}")
    return value


def _request_type(task: str, from_sound: bool = False) -> type:
    """The request class for ``task`` (for a Stable Audio form with a sound to start from, the
    audio-to-audio one). Imported here: the request types are not needed for the first frame."""
    from ..core import tasks

    if from_sound and task == "text-to-audio":
        return tasks.AudioToAudioRequest
    return tasks.request_class(task)
