"""The open project as the window knows it: a copy kept in step with the project thread's, the
output the canvas shows, undo, autosave. Every change is asked of the project thread (the
bridge); what it reports back is applied here first, then passed on (``changed``)."""

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage, QUndoStack

from ...core.autosave import AutosaveClock
from ...core.project import SUFFIX, Entry, Output, Project, new_id
from ..bridges.project import ProjectThread
from ..bridges.project_changes import (
    OutputAdded,
    OutputRemoved,
    OutputRestored,
    OutputsImported,
    OutputsMerged,
    OutputUpdated,
    ProjectChange,
)
from ..commands import DeleteCommand, EditCommand, MarkCommand


class ProjectController(QObject):
    opened = Signal(object, object)  # Project (this controller's copy), path or None
    changed = Signal(object)  # a ProjectChange, applied to ``project``, naming its objects
    current_changed = Signal(object)  # the id of the output the canvas shows, or None
    saved = Signal(object)  # path
    dirty_changed = Signal(bool)
    message = Signal(str, bool)  # a line for the artist, error
    status = Signal(str, int)  # status-bar text, milliseconds
    # Passed on from the project thread as they come:
    crashed_found = Signal(object)  # list[CrashedSession]
    failed = Signal(str)
    unavailable = Signal(str)
    closed = Signal()
    image_loaded = Signal(str, QImage)  # output id, full image
    sound_loaded = Signal(str, bytes, bytes)  # output id, its sound file, its peaks (b"": none kept)
    mask_loaded = Signal(str, object)  # output id, its stored mask (a uint8 raster: a removed background's subject)
    sound_saved = Signal(str)  # what Save Sound As wrote, in one line
    compared = Signal(str, bool, str)  # output id, pixels (samples) identical, how they compare
    exported = Signal(int, object)  # files written, folder
    output_deleted = Signal(str)  # "Image deleted" or "Sound deleted": an undoable delete, to tell of
    import_progress = Signal(int, int)  # files done, files found: an import under way
    imported = Signal(object)  # core.image_import.Summary: an import ended (done or cancelled)

    def __init__(self, bridge: ProjectThread, autosave_seconds: float, parent: QObject | None = None,
                 reopen: Path | None = None):
        """``reopen``: the project to start with (the last one worked on), else a new one."""
        super().__init__(parent)
        self.bridge = bridge
        self.project = Project()
        self.path: Path | None = None
        self.current_output_id: str | None = None
        self.undo_stack = QUndoStack(self)
        self.autosave = AutosaveClock(interval=float(autosave_seconds))
        self._edits: dict[str, Callable[[str], None]] = {}  # token -> told the edited output's id
        self._init_images: dict[str, Callable] = {}  # token -> told the InitImage (a mask's asset) once ready
        self._merged_message = ""  # what the next "Saved" says about outputs taken in from elsewhere
        self._unsaved_outputs: list[str] = []  # kinds of the outputs added since the last save or open
        self._unsaved_changes = 0  # marks, edits and deletions since then
        self._imports = 0  # import runs asked for and not ended
        self._last_imported: str | None = None  # the newest output an import stored, shown when it ends
        worker = bridge.worker
        worker.import_progress.connect(self.import_progress)
        worker.imported.connect(self._on_imported)
        worker.opened.connect(self._on_opened)
        worker.changed.connect(self._on_changed)
        worker.saved.connect(self._on_saved)
        worker.dirty_changed.connect(self._on_dirty_changed)
        worker.init_image_ready.connect(self._on_init_image_ready)
        worker.mask_stored.connect(self._on_init_image_ready)  # the same: a token's callback, told the asset
        worker.extension_ready.connect(self._on_init_image_ready)  # and told the extension's inputs
        for theirs, ours in ((worker.crashed_found, self.crashed_found), (worker.failed, self.failed),
                             (worker.unavailable, self.unavailable), (worker.closed, self.closed),
                             (worker.asset_loaded, self.image_loaded), (worker.compared, self.compared),
                             (worker.sound_loaded, self.sound_loaded), (worker.sound_saved, self.sound_saved),
                             (worker.exported, self.exported), (worker.mask_loaded, self.mask_loaded)):
            theirs.connect(ours)
        # The first project; it waits in the thread's queue until the thread starts.
        bridge.request_start.emit(reopen)

    # ----- the thread ------------------------------------------------------------------------
    def start(self) -> None:
        self.bridge.start()

    def shutdown(self) -> None:
        """Join the project thread, then end a session whose work is all in its file (a dirty
        one stays for recovery)."""
        self.bridge.shutdown()
        session = self.bridge.worker.session  # its thread has ended: safe to touch here
        if session is not None and not session.dirty:
            session.close()

    def read_asset(self, name: str) -> bytes:
        """An asset's bytes; callable from any thread (the history's thumbnails)."""
        return self.bridge.worker.read_asset(name)

    # ----- the file ----------------------------------------------------------------------------
    def new(self) -> None:
        self.bridge.request_new.emit()

    def open(self, path: Path) -> None:
        self.bridge.request_open.emit(Path(path))

    def save(self, path: Path | None = None) -> None:
        """Save to ``path`` (given the project suffix), or to the file it came from when None."""
        if path is not None and Path(path).suffix != SUFFIX:
            path = Path(path).with_name(Path(path).name + SUFFIX)
        # This save takes every change made so far: no autosave is due behind it (one started
        # while it runs would save again, and its "Saved" would hide what this one said).
        self.autosave.saved()
        self.bridge.request_save.emit(None if path is None else Path(path))

    def discard(self) -> None:
        """End the session without saving (closing, the artist said so)."""
        self.bridge.request_close.emit()

    def recover(self, crashed) -> None:
        self.bridge.request_recover.emit(crashed)

    def discard_crashed(self, crashed) -> None:
        self.bridge.request_discard_crashed.emit(crashed)

    def autosave_if_due(self) -> None:
        if self.path is not None and self.autosave.due(time.monotonic()):
            self.save()

    # ----- outputs -----------------------------------------------------------------------------
    def find(self, output_id: str | None) -> tuple[Entry, Output] | None:
        return next(((e, o) for e, o in self.project.outputs() if o.id == output_id), None)

    def show_output(self, output_id: str) -> None:
        """Make an output the one shown; its image is decoded (its sound read) on the project thread."""
        self.set_current(output_id)
        self.bridge.request_image.emit(output_id)
        self.load_mask(output_id)

    def load_mask(self, output_id: str) -> None:
        """Decode the output's stored mask (a removed background's subject, a canvas
        document's), if it has one, on the project thread; ``mask_loaded`` answers."""
        found = self.find(output_id)
        if found is not None and found[1].mask:
            self.bridge.request_mask.emit(output_id)

    def load_image(self, output_id: str) -> None:
        """Decode an output's image for a look (a comparison) without making it the current one;
        ``image_loaded`` answers."""
        self.bridge.request_image.emit(output_id)

    def set_current(self, output_id: str | None) -> None:
        """Say which output the canvas shows (it has the pixels already)."""
        self.current_output_id = output_id
        self.current_changed.emit(output_id)

    def import_files(self, files: list) -> None:
        """Import image files and folders (recursively), on the project thread: ``import_progress``
        tells how far it is, ``imported`` how it ended."""
        self._imports += 1
        self.bridge.request_import.emit([Path(f) for f in files])

    @property
    def importing(self) -> bool:
        return self._imports > 0

    def cancel_import(self) -> None:
        """Stop the import under way (and those asked for after it) after the file it is on;
        what was imported stays."""
        if self.importing:
            self.bridge.worker.cancel_import()  # thread-safe: the project thread is busy importing

    def paste(self, image: QImage) -> None:
        self.bridge.request_paste.emit(image)

    def save_sound_as(self, output_id: str, path: Path, fmt: str, target_lufs: float | None, rate: int | None) -> None:
        """Write one sound as the artist chose (``sound_saved`` or ``failed`` answers)."""
        self.bridge.request_save_sound.emit(output_id, Path(path), fmt, target_lufs, rate)

    def save_image_as(self, output_id: str, path: Path) -> None:
        """PNG keeps every metadata chunk; JPEG and WebP carry the A1111 text in EXIF."""
        self.bridge.request_save_image.emit(output_id, Path(path))

    def export(self, output_ids: list[str], folder: Path) -> None:
        self.bridge.request_export.emit(list(output_ids), Path(folder))

    # ----- undoable steps ------------------------------------------------------------------------
    def change_marks(self, output_id: str, **marks) -> None:
        """One undoable step per change of favourite, rating or hidden."""
        found = self.find(output_id)
        if found is not None:
            before = {key: getattr(found[1], key) for key in marks}
            self.undo_stack.push(MarkCommand(self, output_id, before, marks))

    def toggle_favourite(self, output_id: str) -> None:
        found = self.find(output_id)
        if found is not None:
            self.change_marks(output_id, favourite=not found[1].favourite)

    def toggle_hidden(self, output_id: str) -> None:
        found = self.find(output_id)
        if found is not None:
            self.change_marks(output_id, hidden=not found[1].hidden)

    def rate(self, stars: int, output_id: str) -> None:
        self.change_marks(output_id, rating=stars)

    def delete_output(self, output_id: str) -> None:
        found = self.find(output_id)
        if found is not None:
            self.undo_stack.push(DeleteCommand(self, output_id))
            self.output_deleted.emit("Sound deleted" if found[1].kind == "audio" else "Image deleted")

    def edit_output(self, operation: str, output_id: str) -> bool:
        """Flip or rotate an image into a new output (undoable); False if it is no image."""
        found = self.find(output_id)
        if found is None or found[1].kind != "image":
            return False
        self.undo_stack.push(EditCommand(self, output_id, operation))
        return True

    # ----- what undo commands ask --------------------------------------------------------------
    def set_marks(self, output_id: str, marks: dict) -> None:
        self.bridge.request_mark.emit(output_id, marks)

    def remove_output(self, output_id: str) -> None:
        """Take an output out of the history; ``restore_output`` brings it back, asset and all."""
        self.bridge.request_delete.emit(output_id)

    def restore_output(self, output_id: str) -> None:
        self.bridge.request_undelete.emit(output_id)

    def make_edit(self, source_id: str, operation: str, on_stored: Callable[[str], None]) -> None:
        """Store ``source_id`` edited as a new output; ``on_stored(new id)`` once it is."""
        token = f"edit:{new_id()}"
        self._edits[token] = on_stored
        self.bridge.request_edit.emit(token, source_id, operation)

    # ----- what generating asks ----------------------------------------------------------------
    def begin_request(self, token: str, request, model, source: str | None = None) -> None:
        """A request's entry, which the images stored under ``token`` join (each linked to
        ``source``, the output it was made from, if any)."""
        self.bridge.request_begin.emit(token, request, model, source)

    def prepare_init_image(self, then: Callable, output_id: str | None = None, path: Path | None = None) -> None:
        """Make an output or a picture file ready to start from, on the project thread;
        ``then(InitImage)`` once it is (a picture that cannot be used says why instead)."""
        token = new_id()
        self._init_images[token] = then
        self.bridge.request_init_image.emit(token, output_id, None if path is None else Path(path))

    def store_mask(self, raster, then: Callable[[str], None]) -> None:
        """Store a painted mask (a uint8 raster, not changed after) as an input of the project,
        on the project thread; ``then(asset)`` once it is."""
        token = new_id()
        self._init_images[token] = then
        self.bridge.request_store_mask.emit(token, raster)

    def prepare_extension(self, output_id: str, sides: tuple[int, int, int, int], then: Callable) -> None:
        """Extend an output's picture by ``sides`` (left, top, right, bottom) and store it with the
        mask of its new area, on the project thread; ``then(StoredExtension)`` once they are (one
        past the largest side says so in one line instead, through ``failed``)."""
        token = new_id()
        self._init_images[token] = then
        self.bridge.request_extension.emit(token, output_id, tuple(sides))

    @Slot(str, object)
    def _on_init_image_ready(self, token: str, image) -> None:
        then = self._init_images.pop(token, None)
        if then is not None:
            then(image)

    def store_output(self, token: str, kind: str, data: bytes, suffix: str, recipe: dict,
                     peaks: bytes | None = None, mask: bytes | None = None) -> None:
        self.bridge.request_store.emit(token, kind, data, suffix, recipe, peaks, mask)

    def compare(self, output_id: str, data: bytes) -> None:
        """Whether ``data`` has exactly the stored output's pixels or samples (``compared`` answers)."""
        self.bridge.request_compare.emit(output_id, data)

    # ----- what the project thread reports -------------------------------------------------------
    def unsaved_loss(self) -> str:
        """What not saving would lose, in words: "12 images and 1 sound will be deleted",
        "3 new images and 2 other changes will be lost"; "" when nothing is known to be."""
        if self.path is None:  # untitled: its outputs live only in the working folder
            kinds = [output.kind for _entry, output in self.project.outputs()]
            return f"{_count_outputs(kinds)} will be deleted" if kinds else ""
        parts = [f"{_count_outputs(self._unsaved_outputs, 'new ')}"] if self._unsaved_outputs else []
        if self._unsaved_changes:
            other = "other " if parts else ""
            parts.append(f"{self._unsaved_changes} {other}change{'s' if self._unsaved_changes != 1 else ''}")
        return f"{' and '.join(parts)} will be lost" if parts else ""

    @Slot(object, object)
    def _on_opened(self, project: Project, path) -> None:
        self.project = project
        self.path = path
        self._unsaved_outputs, self._unsaved_changes = [], 0
        self.undo_stack.clear()
        self._edits.clear()
        self.opened.emit(project, path)

    @Slot(object)
    def _on_changed(self, change: ProjectChange) -> None:
        match change:
            case OutputAdded():
                change = self._add(change)
            case OutputsMerged(added=added):
                change = OutputsMerged(tuple(self._add(each) for each in added))
                self._merged_message = f"; took in {len(added)} output(s) saved to it from elsewhere"
            case OutputsImported(added=added):
                change = OutputsImported(tuple(self._add(each) for each in added))
                self._unsaved_outputs.extend(each.output.kind for each in added)
                self._last_imported = added[-1].output.id
            case OutputUpdated(output=output):
                found = self.find(output.id)
                if found is None:
                    return
                for key in ("favourite", "rating", "note", "hidden"):
                    setattr(found[1], key, getattr(output, key))
                change = OutputUpdated(found[1])
            case OutputRemoved(output_id=output_id):
                for entry in self.project.entries:
                    entry.outputs = [o for o in entry.outputs if o.id != output_id]
            case OutputRestored(entry_id=entry_id, output=output, index=index):
                entry = self.project.find_entry(entry_id)
                if entry is None:
                    return
                entry.outputs.insert(index, output)
        if isinstance(change, OutputAdded):
            self._unsaved_outputs.append(change.output.kind)
        elif not isinstance(change, (OutputsMerged, OutputsImported)):  # counted above, or saved already
            self._unsaved_changes += 1
        self.changed.emit(change)
        if isinstance(change, OutputsImported):
            self.autosave.changed(time.monotonic())
        if isinstance(change, OutputAdded):
            if change.token == "import":
                self.show_output(change.output.id)
                self._tell_import_notes(change.entry)
            elif change.token in self._edits:
                self._edits.pop(change.token)(change.output.id)
            self.autosave.changed(time.monotonic())

    def _add(self, added: OutputAdded) -> OutputAdded:
        """A stored output joins this copy of the project, under its request (new, or known:
        then the change names the known entry, which holds the outputs)."""
        entry = self.project.find_entry(added.entry.id)
        if entry is None:
            entry = added.entry
            self.project.entries.append(entry)
        entry.outputs.append(added.output)
        return OutputAdded(entry, added.output, added.token)

    @Slot(object)
    def _on_imported(self, summary) -> None:
        """An import ended: the newest image it stored is shown, and the summary said (a single
        image's notes as for a dropped one)."""
        self._imports = max(0, self._imports - 1)
        shown, self._last_imported = self._last_imported, None
        if shown is not None and self.find(shown) is not None:
            self.show_output(shown)
            if summary.total == 1:
                self._tell_import_notes(self.find(shown)[0])
        self.imported.emit(summary)

    def _tell_import_notes(self, entry: Entry) -> None:
        """What an import left out of or cut from an image's metadata, for the artist to see."""
        notes = entry.extra.get("import_notes") or []
        if notes:
            name = Path(entry.extra.get("imported_from", "")).name or "the image"
            text = f"Imported {name}, but {'; '.join(notes)}."
            self.message.emit(text, False)
            self.status.emit(text, 15000)

    @Slot(object)
    def _on_saved(self, path: Path) -> None:
        self.path = path
        self._unsaved_outputs, self._unsaved_changes = [], 0
        self.autosave.saved()
        self.saved.emit(path)
        self.status.emit(f"Saved {path}{self._merged_message}", 5000)
        self._merged_message = ""

    @Slot(bool)
    def _on_dirty_changed(self, dirty: bool) -> None:
        if dirty:
            self.autosave.changed(time.monotonic())
        self.dirty_changed.emit(dirty)


def _count_outputs(kinds: list[str], adjective: str = "") -> str:
    """"3 images and 1 sound" (with ``adjective``: "3 new images ...")."""
    images = sum(kind == "image" for kind in kinds)
    sounds = len(kinds) - images
    parts = [f"{n} {adjective}{noun}{'s' if n != 1 else ''}" for n, noun in ((images, "image"), (sounds, "sound")) if n]
    return " and ".join(parts)
