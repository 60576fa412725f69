"""The library's details pane: everything about the selected model, one selectable line each,
and its actions (reveal, convert a pickle, check). Hashes show "computing..." until the
background has them."""

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..widgets import named
from . import entries
from .table import size_text

# (field, label): the rows of the pane, in order.
_FIELDS = (("type", "Type"), ("family", "Family"), ("size", "Size"), ("path", "Path"), ("note", "Note"),
           ("readiness", "Readiness"), ("use", "Used with"), ("sha256", "SHA-256"), ("model_hash", "Model hash"),
           ("lora_hash", "LoRA hash"))
COMPUTING = "computing..."
_HASH_FIELDS = ("sha256", "model_hash", "lora_hash")
_HASH_LINE = 32  # a sha256's 64 digits in two lines: one is wider than the pane


class DetailsPane(QWidget):
    """The selected model's details (objectName library_details; each value details_<field>)."""

    reveal_requested = Signal()
    convert_requested = Signal()
    check_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("library_details")
        self.setMinimumWidth(300)
        self.info = None
        self.title = named(QLabel(), "details_name", "Model name")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for field, label in _FIELDS:
            value = named(QLabel(), f"details_{field}", label)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setMinimumWidth(120)
            if field in _HASH_FIELDS:
                value.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            self.values[field] = value
            form.addRow(label, value)
        self.reveal_button = named(QPushButton("Reveal in File Manager"), "library_reveal", "Reveal in file manager")
        self.convert_button = named(QPushButton("Convert to safetensors..."), "library_convert",
                                    "Convert to safetensors")
        self.check_button = named(QPushButton("Check"), "library_check", "Check this model")
        self.check_button.setToolTip("Look at its files again: still there, and whole")
        self.reveal_button.clicked.connect(self.reveal_requested)
        self.convert_button.clicked.connect(self.convert_requested)
        self.check_button.clicked.connect(self.check_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reveal_button)
        buttons.addWidget(self.convert_button)
        buttons.addWidget(self.check_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.show_model(None)

    def show_model(self, info, readiness: str = "", hashes=None, hashing: bool = False) -> None:
        """Show ``info`` (None: nothing selected) with its readiness and hashes (a FileHashes, a
        folder's fingerprint, or None: "computing..." while ``hashing``, else not known)."""
        self.info = info
        for button in (self.reveal_button, self.check_button):
            button.setEnabled(info is not None)
        self.convert_button.setVisible(info is not None and info.format == "pickle")
        if info is None:
            self.title.setText("No model selected")
            for value in self.values.values():
                value.setText("")
            return
        self.title.setText(info.name)
        waiting = COMPUTING if hashing else "not computed"
        folder = info.format in ("diffusers", "transformers")
        shown = {
            "type": entries.type_label(info.kind) + (" (pickle)" if info.format == "pickle" else ""),
            "family": entries.family_label(info.family),
            "size": size_text(info.size_bytes),
            "path": str(info.path),
            "note": info.note or "none",
            "readiness": readiness,
            "use": entries.used_with(info),
        }
        if folder:
            shown.update(sha256=hashes if isinstance(hashes, str) else waiting, model_hash="", lora_hash="")
        elif hashes is None:
            shown.update(sha256=waiting, model_hash=waiting, lora_hash=waiting if info.kind == "lora" else "")
        else:
            shown.update(sha256=hashes.sha256, model_hash=hashes.model_hash,
                         lora_hash=(hashes.lora_hash or "none (not a safetensors file)") if info.kind == "lora" else "")
        for field, value in self.values.items():
            value.setText(_in_lines(shown.get(field, "")) if field == "sha256" else shown.get(field, ""))
            label = self.layout().itemAt(1).layout().labelForField(value)
            hidden = field in ("model_hash", "lora_hash") and not shown.get(field)
            value.setVisible(not hidden)
            if label is not None:
                label.setVisible(not hidden)
                if field == "sha256":
                    label.setText("Fingerprint" if folder else "SHA-256")
        ready = readiness == entries.READY
        self.values["readiness"].setProperty("error", not ready)
        self.values["readiness"].setStyleSheet("" if ready else "color: #e0a040;")
        self.reveal_button.setToolTip(f"Open {Path(info.path).parent if not folder else info.path} in the file manager")


def _in_lines(digest: str) -> str:
    """A hex digest in lines of _HASH_LINE digits (other text as it is)."""
    if len(digest) <= _HASH_LINE or " " in digest:
        return digest
    return "\n".join(digest[i:i + _HASH_LINE] for i in range(0, len(digest), _HASH_LINE))
