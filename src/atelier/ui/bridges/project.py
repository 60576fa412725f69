"""The open project lives on its own thread: every project write happens there, never on the
UI thread. The window sends requests through queued signals and gets back copies of what
changed (``changed``, with the types of ``project_changes``), so the two threads never share a
mutable object."""

import logging
import threading
import time
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QImage

from ... import paths
from ...core.atomic import atomic_write_bytes
from ...core.edits import apply_edit
from ...core.errors import AtelierError
from ...core.project import Entry
from ..images import decode_image
from ..init_image_box import InitImage
from .project_changes import (
    OutputAdded,
    OutputRemoved,
    OutputRestored,
    OutputsImported,
    OutputsMerged,
    OutputUpdated,
)

# The session machinery (core.session, core.transfer, core.metadata: the .atelier format, recipes
# and requests, zip files) is imported by the slots that use it, on the project thread: the
# window's first frame does not wait for it.

log = logging.getLogger(__name__)

IMPORT_SLICE_SECONDS = 0.05
"""How long an import works before it reports what it stored and lets the project thread's
other requests (a click on the history, a finished image) through."""


def _copy(obj):
    return type(obj).from_dict(obj.to_dict())


def _added(entry: Entry, output, token: str) -> OutputAdded:
    """The change for a new output: copies, its entry without outputs (what the window needs
    to group it)."""
    return OutputAdded(Entry.from_dict({**entry.to_dict(), "outputs": []}), _copy(output), token)


class ProjectWorker(QObject):
    """Owns the ProjectSession. Slots run on the project thread."""

    opened = Signal(object, object)  # Project copy, path (None while untitled)
    changed = Signal(object)  # a ProjectChange: an output added, removed, updated, restored, or merged in
    saved = Signal(object)  # path
    dirty_changed = Signal(bool)
    crashed_found = Signal(object)  # list[CrashedSession]
    failed = Signal(str)  # one-line message
    unavailable = Signal(str)  # no project can be kept at all (the data folder cannot be written)
    closed = Signal()
    asset_loaded = Signal(str, QImage)  # output id, full image
    sound_loaded = Signal(str, bytes, bytes)  # output id, its sound file (the player decodes it off this
    # thread), and its peaks as the project keeps them (b"" when it keeps none: made elsewhere)
    sound_saved = Signal(str)  # what Save Sound As wrote, in one line
    mask_loaded = Signal(str, object)  # output id, its stored mask as a uint8 raster
    compared = Signal(str, bool, str)  # output id, pixels (samples) identical, how they compare
    exported = Signal(int, object)  # files written, folder
    init_image_ready = Signal(str, object)  # purpose, InitImage: a picture stored and ready to start from
    mask_stored = Signal(str, str)  # purpose, the asset of a painted mask stored as a job's input
    extension_ready = Signal(str, object)  # purpose, core.extension.StoredExtension: a canvas extension's inputs
    import_progress = Signal(int, int)  # files done, files found: an import run under way
    imported = Signal(object)  # core.image_import.Summary: an import run ended (done or cancelled)
    _import_step = Signal()  # queued to itself: the import's next slice, after what waits meanwhile

    def __init__(self):
        super().__init__()
        self.session = None  # the ProjectSession (core.session)
        self._entries: dict[str, Entry] = {}  # request token -> entry
        self._sources: dict[str, str] = {}  # request token -> the output its outputs were made from
        self._trash: dict = {}  # output id -> RemovedOutput, for undo
        self._dirty = False
        self._import = None  # the core.image_import.ImportRun under way
        self._imports_waiting: list[list] = []  # files asked to import while one ran, in turn
        self._import_cancel = threading.Event()  # set from the UI thread; the run looks between files
        self._import_step.connect(self._continue_import, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def start(self, reopen: Path | None = None) -> None:
        from ...core.session import ProjectSession
        """The project ``reopen`` (the last one worked on) when it opens, else a fresh untitled
        one; then any crashed sessions worth offering back."""
        if reopen is not None:
            try:
                session = ProjectSession.open(reopen)
            except (OSError, AtelierError) as exc:  # moved, deleted, damaged: start afresh, say why
                reason = str(exc) if isinstance(exc, AtelierError) else exc.strerror or str(exc)
                self.failed.emit(f"Could not reopen {reopen.name} ({reason}); started a new project")
            else:
                self._install(session)
                self._offer_crashed()
                return
        try:
            session = ProjectSession.create()
        except OSError as exc:  # no working folder, so no work could be kept: say so, generate nothing
            self.unavailable.emit(
                f"{paths.data_dir()} cannot be written ({exc.strerror or exc}), so nothing made now could be kept; "
                "fix its permissions or set XDG_DATA_HOME, then start Atelier again"
            )
            return
        self._install(session)
        self._offer_crashed()

    def _offer_crashed(self) -> None:
        from ...core.session import crashed_sessions
        try:
            found = crashed_sessions()
        except OSError as exc:
            self.failed.emit(f"could not look for crashed sessions: {exc}")
            return
        if found:
            self.crashed_found.emit(found)

    @Slot()
    def new(self) -> None:
        from ...core.session import ProjectSession

        self._replace(ProjectSession.create)

    @Slot(object)
    def open(self, path: Path) -> None:
        from ...core.session import ProjectSession

        self._replace(lambda: ProjectSession.open(path))

    @Slot(object)
    def recover(self, crashed) -> None:
        from ...core.session import recover

        self._replace(lambda: recover(crashed), keep_current=self._current_has_work())

    @Slot(object)
    def discard_crashed(self, crashed) -> None:
        from ...core.session import discard

        discard(crashed)

    @Slot(str, object, object, object)
    def begin_request(self, token: str, request, model, source: str | None) -> None:
        """The entry for a request on ``model``; ``source``: the output it starts from (a
        variation's), which each of its outputs is linked to."""
        if self.session is None:
            return
        self._entries[token] = self.session.add_request(request, model)
        if source is not None:
            self._sources[token] = source
        self._set_dirty()

    @Slot(str, object, object)
    def prepare_init_image(self, purpose: str, output_id: str | None, path: Path | None) -> None:
        """Make a picture ready to start from, here, off the UI thread: an output of the
        project (used as it is stored) or a file (converted to 8-bit RGB and stored in the
        project first, so a recipe never names a file outside it). ``init_image_ready`` answers
        with ``purpose``; a picture that cannot be used says why in one line (``failed``)."""
        if self.session is None:
            return
        try:
            if output_id is not None:
                output = self.session.project.find_output(output_id)
                if output is None or output.kind != "image":
                    return
                asset, label = output.asset, "from the history"
                data = self.session.read_asset(asset)
            else:
                from ...core.init_image import prepare_init_image

                prepared = prepare_init_image(Path(path).read_bytes(), Path(path).name)
                asset, label, data = self.session.store_input(prepared.png, "png"), Path(path).name, prepared.png
                self._set_dirty()
            image = decode_image(data, asset)
        except OSError as exc:
            self.failed.emit(f"{path}: cannot be read ({exc.strerror or exc}); choose another picture")
            return
        except AtelierError as exc:
            self.failed.emit(str(exc))
            return
        if image.isNull():
            self.failed.emit(f"{label}: is not a readable image; choose another picture")
            return
        thumbnail = image.scaled(128, 128, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.init_image_ready.emit(purpose, InitImage(asset, image.width(), image.height(), label, thumbnail))

    @Slot(str, object)
    def store_mask(self, purpose: str, raster) -> None:
        """Store a mask painted in the window (a uint8 raster) as a greyscale PNG input of the
        project, here: encoding a large one would stall the window. ``mask_stored`` answers."""
        from ...core.mask_file import mask_png

        if self.session is not None:
            asset = self.session.store_input(mask_png(raster), "png")
            self._set_dirty()
            self.mask_stored.emit(purpose, asset)

    @Slot(str, str, object)
    def prepare_extension(self, purpose: str, output_id: str, sides) -> None:
        """Extend an output's picture by ``sides`` (left, top, right, bottom), here: decoding,
        pre-filling and encoding a large picture would stall the window. The extended picture
        and the mask of its new area are stored as inputs; ``extension_ready`` answers with
        ``purpose``, or ``failed`` says in one line why it cannot be done."""
        from ...core.extension import StoredExtension, extended_picture

        output = self.session.project.find_output(output_id) if self.session else None
        if output is None or output.kind != "image":
            return
        try:
            made = extended_picture(self.session.read_asset(output.asset), tuple(sides))
            picture = self.session.store_input(made.png, "png")
            mask = self.session.store_input(made.mask_png, "png")
        except (OSError, AtelierError) as exc:
            self.failed.emit(str(exc) if isinstance(exc, AtelierError) else f"could not extend the picture: {exc}")
            return
        self._set_dirty()
        self.extension_ready.emit(purpose, StoredExtension(picture, mask, made.width, made.height))

    @Slot(str, str, bytes, str, object, object, object)
    def store_output(self, token: str, kind: str, data: bytes, suffix: str, recipe: dict, peaks, mask) -> None:
        """Write the image or sound (with a sound's peaks, a picture's subject mask) into the
        working folder; only then does the window show it."""
        entry = self._entries.get(token)
        if self.session is None or entry is None:
            return
        try:
            output = self.session.add_output(entry, kind, data, suffix, recipe, peaks=peaks, mask_png=mask,
                                             source=self._sources.get(token))
        except (OSError, AtelierError) as exc:
            self.failed.emit(f"could not store the {'sound' if kind == 'audio' else 'image'} in the project: {exc}")
            return
        self._set_dirty()
        self.changed.emit(_added(entry, output, token))

    @Slot(object)
    def import_files(self, files: list) -> None:
        """Images and folders dropped or opened from elsewhere join the history with what their
        metadata tells; the files are read here, never on the UI thread, a slice at a time
        (``IMPORT_SLICE_SECONDS``), each slice's images reported as one change. A file that
        cannot be imported is one line in the run's summary (``imported``), and the others
        still come in; ``failed`` says in one line what could not be imported."""
        from ...core.image_import import ImportRun, Summary

        if self.session is None:
            self.imported.emit(Summary(cancelled=True))  # every request is answered
            return
        if self._import is not None:
            self._imports_waiting.append(list(files))
            return

        self._import = ImportRun(self.session, [Path(path) for path in files], cancelled=self._import_cancel.is_set)
        self.import_progress.emit(0, self._import.summary.total)
        self._continue_import()

    def cancel_import(self) -> None:
        """Stop the import under way after its current file; callable from any thread (the
        project thread is busy with the import)."""
        self._import_cancel.set()

    @Slot()
    def _continue_import(self) -> None:
        run = self._import
        if run is None:
            return
        if self.session is not run.session:  # another project was opened meanwhile: it stops here
            run.summary.cancelled = True
        added = []
        deadline = time.monotonic() + IMPORT_SLICE_SECONDS
        while not run.finished and time.monotonic() < deadline:
            try:
                output = run.import_next()
            except (OSError, AtelierError) as exc:  # the project cannot take more (a full disk): stop
                self.failed.emit(f"could not store the image in the project: {exc}")
                run.summary.cancelled = True
                break
            except Exception as exc:  # a bug: one line in the window, never silence; the rest go on
                log.debug("importing failed", exc_info=True)
                run.summary.failures.append(f"{run.files[run.summary.done]}: could not be imported "
                                            f"({type(exc).__name__}: {exc})")
                continue
            if output is not None:  # its entry is the newest
                added.append(_added(self.session.project.entries[-1], output, "import"))
        if added:
            self._set_dirty()
            self.changed.emit(OutputsImported(tuple(added)))
        self.import_progress.emit(run.summary.done, run.summary.total)
        if not run.finished:
            self._import_step.emit()
            return
        self._import = None
        if self._import_cancel.is_set():  # Cancel stops what was asked after it too
            self._imports_waiting.clear()
            self._import_cancel.clear()
        summary = run.summary
        if summary.failures:
            first = summary.failures[0]
            self.failed.emit(first if len(summary.failures) == 1 else
                             f"{len(summary.failures):,} of {summary.total:,} files could not be imported; {first}")
        self.imported.emit(summary)
        if self._imports_waiting:
            self.import_files(self._imports_waiting.pop(0))

    @Slot(QImage)
    def import_pasted(self, image: QImage) -> None:
        if self.session is None:
            return
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            self.failed.emit("could not paste: the clipboard's image could not be stored as PNG")
            return
        try:
            entry = self.session.add_entry(parameters={"source": "clipboard"})
            output = self.session.add_output(entry, "image", bytes(buffer.data()), "png")
        except (OSError, AtelierError) as exc:
            self.failed.emit(f"could not store the pasted image in the project: {exc}")
            return
        self._set_dirty()
        self.changed.emit(_added(entry, output, "import"))

    @Slot(str, object)
    def save_output_as(self, output_id: str, path: Path) -> None:
        """Write one image as PNG (byte for byte, chunks kept), JPEG or WebP (recipe in EXIF)."""
        from ...core.metadata import convert_image

        output = self.session.project.find_output(output_id) if self.session else None
        if output is None:
            return
        try:
            atomic_write_bytes(path, convert_image(self.session.read_asset(output.asset), path.suffix))
        except (OSError, ValueError, AtelierError) as exc:
            self.failed.emit(f"{path}: could not save the image ({exc})")
            return
        self.exported.emit(1, path.parent)

    @Slot(str, object, str, object, object)
    def save_sound_as(self, output_id: str, path: Path, fmt: str, target_lufs, rate) -> None:
        """Write one sound in ``fmt``, resampled to ``rate`` and brought to ``target_lufs``
        when given (media/export.py); on this thread, as normalising takes seconds."""
        output = self.session.project.find_output(output_id) if self.session else None
        if output is None or output.kind != "audio":
            return
        try:
            from ...media.export import export_sound

            exported = export_sound(self.session.read_asset(output.asset), output.asset, Path(path), fmt,
                                    target_lufs, rate=rate)
        except (OSError, AtelierError) as exc:
            self.failed.emit(f"{path}: could not save the sound ({exc})")
            return
        note = exported.normalized.note if exported.normalized is not None else ""
        self.sound_saved.emit(f"Saved {exported.summary()}" + (f"; {note}" if note else ""))

    @Slot(str, str, str)
    def edit_image(self, token: str, output_id: str, operation: str) -> None:
        """Store the edited image as a new output of the same request, linked to its source."""
        output = self.session.project.find_output(output_id) if self.session else None
        if output is None or output.kind != "image":
            return
        entry = next(e for e in self.session.project.entries if output in e.outputs)
        try:
            png = apply_edit(self.session.read_asset(output.asset), operation)
            edited = self.session.add_output(entry, "image", png, "png", None, source=output.id,
                                             extra={"edit": operation})
        except (OSError, ValueError, AtelierError) as exc:
            self.failed.emit(f"could not edit the image: {exc}")
            return
        self._set_dirty()
        self.changed.emit(_added(entry, edited, token))

    @Slot(str)
    def delete_output(self, output_id: str) -> None:
        if self.session is None:
            return
        try:
            self._trash[output_id] = self.session.remove_output(output_id)
        except (OSError, AtelierError) as exc:
            self.failed.emit(f"could not delete: {exc}")
            return
        self._set_dirty()
        self.changed.emit(OutputRemoved(output_id))

    @Slot(str)
    def undelete_output(self, output_id: str) -> None:
        removed = self._trash.pop(output_id, None)
        if self.session is None or removed is None:
            return
        try:
            entry = self.session.restore_output(removed)
        except (OSError, AtelierError) as exc:
            self.failed.emit(f"could not bring the output back: {exc}")
            return
        self._set_dirty()
        self.changed.emit(OutputRestored(entry.id, _copy(removed.output), removed.index))

    @Slot(str, object)
    def mark(self, output_id: str, marks: dict) -> None:
        output = self.session.project.find_output(output_id) if self.session else None
        if output is None:
            return
        try:
            self.session.update_output(output, **marks)
        except (ValueError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        self._set_dirty()
        self.changed.emit(OutputUpdated(_copy(output)))

    @Slot(str)
    def load_output(self, output_id: str) -> None:
        """Decode an output's image here, off the UI thread, for the canvas; or read its sound
        file for the player."""
        output = self.session.project.find_output(output_id) if self.session else None
        if output is None:
            return
        if output.kind == "audio":
            try:
                data = self.session.read_asset(output.asset)
            except (OSError, AtelierError) as exc:
                self.failed.emit(f"could not read that sound: {exc}")
                return
            try:  # a file an older Atelier saved may have dropped them: the player makes them again
                peaks = self.session.read_asset(output.peaks) if output.peaks else b""
            except (OSError, AtelierError):
                peaks = b""
            self.sound_loaded.emit(output_id, data, peaks)
            return
        try:
            image = decode_image(self.session.read_asset(output.asset), output.asset)
        except (OSError, AtelierError) as exc:
            self.failed.emit(f"could not read that image: {exc}")
            return
        if image.isNull():
            self.failed.emit(f"{output.asset} is not a readable image")
            return
        self.asset_loaded.emit(output_id, image)

    @Slot(str)
    def load_mask(self, output_id: str) -> None:
        """Decode an output's stored mask here, off the UI thread, for the canvas's mask layer."""
        from ...core.mask_file import read_mask

        output = self.session.project.find_output(output_id) if self.session else None
        if output is None or not output.mask:
            return
        try:
            raster, _notes = read_mask(self.session.read_asset(output.mask), output.mask)
        except (OSError, AtelierError) as exc:
            self.failed.emit(f"could not read that picture's mask: {exc}")
            return
        self.mask_loaded.emit(output_id, raster)

    @Slot(str, bytes)
    def compare(self, output_id: str, data: bytes) -> None:
        """Whether a remade output has exactly the stored one's pixels, or samples."""
        output = self.session.project.find_output(output_id) if self.session else None
        if output is None:
            return
        try:
            if output.kind == "audio":
                from ...media.sameness import compare_sounds as compare
            else:
                from ...core.pixels import compare_pixels as compare

            comparison = compare(self.session.read_asset(output.asset), data)
        except (OSError, ValueError, RuntimeError, AtelierError) as exc:  # RuntimeError: soundfile
            self.failed.emit(f"could not compare with the stored image: {exc}")
            return
        self.compared.emit(output_id, comparison.identical, comparison.describe())

    @Slot(object, object)
    def export(self, output_ids: list, folder: Path) -> None:
        from ...core.transfer import export_outputs

        if self.session is None:
            return
        try:
            exported = export_outputs(self.session.project, self.session.read_asset, folder, output_ids=output_ids)
        except AtelierError as exc:
            self.failed.emit(str(exc))
            return
        self.exported.emit(len(exported.files), folder)
        if exported.unreadable:
            self.failed.emit(f"{len(exported.unreadable)} output(s) could not be exported; {exported.unreadable[0]}")

    @Slot(object)
    def save(self, path) -> None:
        if self.session is None:
            return
        try:
            saved = self.session.save(path)
        except AtelierError as exc:
            self.failed.emit(str(exc))
            return
        self._set_dirty(False)
        if self.session.merged_outputs:
            merged = self.session.merged_outputs
            self.changed.emit(OutputsMerged(tuple(_added(entry, output, "merge") for entry, output in merged)))
        self.saved.emit(saved)

    @Slot()
    def close_session(self) -> None:
        """End the session for good (after a save or an explicit discard)."""
        if self.session is not None:
            self.session.close()
            self.session = None
        self.closed.emit()

    def read_asset(self, name: str) -> bytes:
        """Callable from any thread (thumbnails): the session's reads are safe against its saves."""
        if self.session is None:
            raise AtelierError("no project is open")
        return self.session.read_asset(name)

    # ----- internals -------------------------------------------------------------------------
    def _replace(self, make, keep_current: bool = False) -> None:
        try:
            session = make()
        except (OSError, AtelierError) as exc:
            self.failed.emit(str(exc) if isinstance(exc, AtelierError) else f"could not open the project: {exc}")
            return
        self._install(session, keep_current)

    def _install(self, session, keep_current: bool = False) -> None:
        old = self.session
        if old is not None and not keep_current and not old.dirty:
            old.close()  # nothing unsaved in it; anything unsaved stays recoverable
        self.session = session
        self._entries.clear()
        self._sources.clear()
        self._trash.clear()
        self._set_dirty(session.dirty)
        self.opened.emit(_copy(session.project), session.path)

    def _current_has_work(self) -> bool:
        return self.session is not None and self.session.dirty

    def _set_dirty(self, dirty: bool = True) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)


class ProjectThread(QObject):
    """Owns the project thread for the window's lifetime."""

    request_start = Signal(object)  # the project to reopen, or None
    request_new = Signal()
    request_open = Signal(object)
    request_recover = Signal(object)
    request_discard_crashed = Signal(object)
    request_begin = Signal(str, object, object, object)  # token, request, model, source output id
    request_init_image = Signal(str, object, object)  # purpose, output id or None, path or None
    request_store_mask = Signal(str, object)  # purpose, uint8 raster
    request_extension = Signal(str, str, object)  # purpose, output id, sides (left, top, right, bottom)
    request_store = Signal(str, str, bytes, str, object, object, object)  # token, kind, file, suffix, recipe, peaks, mask
    request_mask = Signal(str)  # output id
    request_mark = Signal(str, object)
    request_save = Signal(object)
    request_close = Signal()
    request_image = Signal(str)
    request_compare = Signal(str, bytes)
    request_export = Signal(object, object)
    request_import = Signal(object)
    request_paste = Signal(QImage)
    request_save_image = Signal(str, object)
    request_save_sound = Signal(str, object, str, object, object)
    request_edit = Signal(str, str, str)  # token, output id, operation
    request_delete = Signal(str)
    request_undelete = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("atelier-project")
        self.worker = ProjectWorker()
        self.worker.moveToThread(self.thread)
        w = self.worker
        for signal, slot in (
            (self.request_start, w.start), (self.request_new, w.new), (self.request_open, w.open),
            (self.request_recover, w.recover), (self.request_discard_crashed, w.discard_crashed),
            (self.request_begin, w.begin_request), (self.request_store, w.store_output),
            (self.request_mark, w.mark), (self.request_save, w.save), (self.request_close, w.close_session),
            (self.request_image, w.load_output), (self.request_compare, w.compare),
            (self.request_export, w.export), (self.request_import, w.import_files),
            (self.request_paste, w.import_pasted), (self.request_save_image, w.save_output_as),
            (self.request_save_sound, w.save_sound_as),
            (self.request_edit, w.edit_image), (self.request_delete, w.delete_output),
            (self.request_undelete, w.undelete_output), (self.request_init_image, w.prepare_init_image),
            (self.request_store_mask, w.store_mask), (self.request_extension, w.prepare_extension),
            (self.request_mask, w.load_mask),
        ):
            signal.connect(slot)

    def start(self) -> None:
        """Start the thread; what was asked of the worker before waits in its queue, in order."""
        self.thread.start()

    def shutdown(self) -> None:
        self.thread.quit()
        self.thread.wait()
