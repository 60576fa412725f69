"""The open project lives on its own thread: every project write happens there, never on the
UI thread. The window sends requests through queued signals and gets back copies of what
changed, so the two threads never share a mutable object."""

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.errors import AtelierError
from ..core.project import Entry
from ..core.session import CrashedSession, ProjectSession, crashed_sessions, discard, recover

log = logging.getLogger(__name__)


def _copy(obj):
    return type(obj).from_dict(obj.to_dict())


def _entry_header(entry: Entry) -> Entry:
    """The entry without its outputs: what the window needs to group a new output."""
    return Entry.from_dict({**entry.to_dict(), "outputs": []})


class ProjectWorker(QObject):
    """Owns the ProjectSession. Slots run on the project thread."""

    opened = Signal(object, object)  # Project copy, path (None while untitled)
    output_stored = Signal(str, object, object)  # request token, Entry header copy, Output copy
    output_changed = Signal(object)  # Output copy
    saved = Signal(object)  # path
    dirty_changed = Signal(bool)
    crashed_found = Signal(object)  # list[CrashedSession]
    failed = Signal(str)  # one-line message
    closed = Signal()

    def __init__(self):
        super().__init__()
        self.session: ProjectSession | None = None
        self._entries: dict[str, Entry] = {}  # request token -> entry
        self._dirty = False

    @Slot()
    def start(self) -> None:
        """A fresh untitled project, then any crashed sessions worth offering back."""
        self._replace(ProjectSession.create)
        try:
            found = crashed_sessions()
        except OSError as exc:
            self.failed.emit(f"could not look for crashed sessions: {exc}")
            return
        if found:
            self.crashed_found.emit(found)

    @Slot()
    def new(self) -> None:
        self._replace(ProjectSession.create)

    @Slot(object)
    def open(self, path: Path) -> None:
        self._replace(lambda: ProjectSession.open(path))

    @Slot(object)
    def recover(self, crashed: CrashedSession) -> None:
        self._replace(lambda: recover(crashed), keep_current=self._current_has_work())

    @Slot(object)
    def discard_crashed(self, crashed: CrashedSession) -> None:
        discard(crashed)

    @Slot(str, str, str, object, object)
    def begin_request(self, token: str, prompt: str, negative: str, parameters: dict, model: dict) -> None:
        if self.session is None:
            return
        self._entries[token] = self.session.add_entry(prompt, negative, parameters, model)
        self._set_dirty()

    @Slot(str, bytes, object)
    def store_image(self, token: str, png: bytes, recipe: dict) -> None:
        """Write the image into the working folder; only then does the window show it."""
        entry = self._entries.get(token)
        if self.session is None or entry is None:
            return
        try:
            output = self.session.add_output(entry, "image", png, "png", recipe)
        except (OSError, AtelierError) as exc:
            self.failed.emit(f"could not store the image in the project: {exc}")
            return
        self._set_dirty()
        self.output_stored.emit(token, _entry_header(entry), _copy(output))

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
        self.output_changed.emit(_copy(output))

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
        self.saved.emit(saved)

    @Slot()
    def close_session(self) -> None:
        """End the session for good (after a save or an explicit discard)."""
        if self.session is not None:
            self.session.close()
            self.session = None
        self.closed.emit()

    def read_asset(self, name: str) -> bytes:
        """Thread-safe enough for thumbnails: working-folder files and zip reads under zipfile's lock."""
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
        old = self.session
        if old is not None and not keep_current and not old.dirty:
            old.close()  # nothing unsaved in it; anything unsaved stays recoverable
        self.session = session
        self._entries.clear()
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

    request_start = Signal()
    request_new = Signal()
    request_open = Signal(object)
    request_recover = Signal(object)
    request_discard_crashed = Signal(object)
    request_begin = Signal(str, str, str, object, object)
    request_store = Signal(str, bytes, object)
    request_mark = Signal(str, object)
    request_save = Signal(object)
    request_close = Signal()

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
            (self.request_begin, w.begin_request), (self.request_store, w.store_image),
            (self.request_mark, w.mark), (self.request_save, w.save), (self.request_close, w.close_session),
        ):
            signal.connect(slot)
        self.thread.start()

    def shutdown(self) -> None:
        self.thread.quit()
        self.thread.wait()
