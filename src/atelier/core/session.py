"""An open project: a working folder that holds every change the moment it happens.

While a project is open, its state lives unpacked under the user data folder:

    sessions/<id>/lock.json      pid, host, start time, the project's path (None if untitled)
    sessions/<id>/project.json   the whole history as it was at some moment (the base)
    sessions/<id>/journal.jsonl  every change since: one line each, appended and synced
    sessions/<id>/assets/...     outputs made since the last save, written before they're shown

A change costs one appended line (the project's fields and the changed request, whole), not a
rewrite of the whole history: with 1,000 outputs that rewrite took ~30 ms of this process's
interpreter lock per image. The journal's first line names the base it follows (a hash), so
a journal left from before the base was last rewritten is never laid over the new base.

Assets already saved are read from the ``.atelier`` file itself, so opening is quick. Saving
writes the ``.atelier`` atomically, or appends to it what changed since the last save. A lock
whose process is gone marks a crashed session, which ``crashed_sessions`` finds and ``recover``
reopens with nothing lost up to the last completed output.
"""

import dataclasses
import functools
import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from .atomic import atomic_write_bytes, atomic_writer
from .errors import ProjectError
from .merge import MergeConflict, merge_projects
from .project import Entry, Output, Project, now
from .project_io import (
    CHANGE_NAME,
    FORMAT_VERSION,
    PROJECT_JSON,
    THUMBNAIL,
    ZIP_ERRORS,
    ProjectArchive,
    asset_name,
    change_json_bytes,
    check_asset,
    make_thumbnail,
    parse_project_json,
    project_json_bytes,
    write_archive,
)
from .save_lock import save_lock

log = logging.getLogger(__name__)
# An entry's own fields, which a merge replaces in place (its outputs are merged one by one).
_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry) if f.name not in ("id", "outputs"))
LOCK = "lock.json"
JOURNAL = "journal.jsonl"


@functools.cache
def _host() -> str:
    import socket  # here: the window imports this module as it starts

    return socket.gethostname()


def sessions_dir() -> Path:
    return paths.data_dir() / "sessions"


class ProjectSession:
    """The one way to change a project. Every method that changes it persists the change to
    the working folder before returning."""

    def __init__(self, folder: Path, project: Project, path: Path | None, archive: ProjectArchive | None):
        self.folder = folder
        self.project = project
        self.path = path
        self._archive = archive
        self._thumbnail_cache: tuple[str, bytes | None] | None = None
        self._saved_modified: str | None = None  # project.modified as last written to ``path``
        self._archive_stat = _identity(path) if archive is not None else None  # the file as we know it
        self.dirty = False  # changed since the last save to ``path``
        self._changed_entries: dict[str, Entry] = {}  # by id, since the last save to ``path``
        self._released: set[str] = set()  # assets of outputs removed since the last save
        self._base_bytes = self._journal_bytes = 0  # sizes of the working folder's history files
        self.merged_outputs: list[tuple[Entry, Output]] = []  # what the last save took in from another writer
        self._assets_lock = threading.Lock()  # working copies: reads from other threads vs their removal
        # Inputs stored for jobs (init images): their working copies outlive a save, which keeps
        # only what the project refers to, so one chosen before a save is still there after it.
        self._held_inputs: set[str] = set()

    # ----- opening --------------------------------------------------------------------------
    @classmethod
    def create(cls) -> "ProjectSession":
        """A new untitled project: generating before saving is safe."""
        session = cls(_new_folder(), Project(), None, None)
        session._write_lock()
        session.flush()
        return session

    @classmethod
    def open(cls, path: Path) -> "ProjectSession":
        path = Path(path).resolve()
        archive = ProjectArchive(path)
        session = cls(_new_folder(), archive.project, path, archive)
        session._saved_modified = archive.project.modified
        session._write_lock()
        session.flush()
        return session

    @classmethod
    def open_or_create(cls, path: Path) -> "ProjectSession":
        """Open ``path``, or start a project that will be saved there if it does not exist."""
        path = Path(path).resolve()
        if path.exists():
            return cls.open(path)
        session = cls.create()
        session.path = path
        session._write_lock()
        return session

    # ----- changing -------------------------------------------------------------------------
    def add_entry(self, prompt: str = "", negative_prompt: str = "", parameters: dict | None = None,
                  model: dict | None = None) -> Entry:
        entry = Entry(prompt=prompt, negative_prompt=negative_prompt, parameters=dict(parameters or {}),
                      model=dict(model or {}))
        self.project.entries.append(entry)
        self._changed(entry)
        return entry

    def store_input(self, data: bytes, suffix: str) -> str:
        """Store a job's input (an init image, ...) under its content name before the job runs,
        so that its recipe never names a file outside the project; returns that name."""
        name = self._store_asset(data, suffix)
        self._held_inputs.add(name)
        return name

    def add_request(self, request, model) -> Entry:
        """The entry for ``request`` (a core.tasks request) run on ``model`` (anything with id,
        name, family and pipeline): the window, the CLI and the selftest all record jobs so."""
        data = request.to_dict()
        parameters = {key: value for key, value in data.items() if key not in ("prompt", "negative_prompt")}
        summary = {key: getattr(model, key, "") for key in ("id", "name", "family", "pipeline")}
        return self.add_entry(data.get("prompt", ""), data.get("negative_prompt", ""), parameters, summary)

    def add_output(self, entry: Entry, kind: str, data: bytes, suffix: str, recipe: dict | None = None,
                   peaks: bytes | None = None, mask_png: bytes | None = None, **fields) -> Output:
        """Store ``data`` (an encoded PNG or FLAC), a sound's waveform ``peaks`` and a
        picture's ``mask_png`` (a greyscale PNG the canvas offers for generative fill: a removed
        background's subject), as content-named assets, durably, then record the output."""
        if peaks is not None:
            fields["peaks"] = self._store_asset(peaks, "npz")
        if mask_png is not None:
            fields["mask"] = self._store_asset(mask_png, "png")
        output = Output(kind=kind, asset=self._store_asset(data, suffix), recipe=recipe, **fields)
        entry.outputs.append(output)
        self._changed(entry)
        return output

    def add_canvas_document(self, entry: Entry, source: Output, image_png: bytes, mask_png: bytes | None,
                            recipe: dict | None = None) -> Output:
        """An image the artist edited (with its painted mask), linked to the output it came from."""
        mask = self._store_asset(mask_png, "png") if mask_png is not None else None
        return self.add_output(entry, "image", image_png, "png", recipe, source=source.id, mask=mask)

    def remove_output(self, output_id: str) -> "RemovedOutput":
        """Take an output out of the history; what comes back puts it back exactly (undo).
        Its asset's bytes travel with it, since a save in between drops unreferenced assets."""
        for entry in self.project.entries:
            for index, output in enumerate(entry.outputs):
                if output.id == output_id:
                    names = [name for name in (output.asset, output.mask, output.peaks) if name]
                    assets = {name: self.read_asset(name) for name in names if self._has_asset(name)}
                    del entry.outputs[index]
                    self._released.update(names)
                    self._changed(entry)
                    return RemovedOutput(entry.id, index, output, assets)
        raise ProjectError(f"no output {output_id} in this project")

    def restore_output(self, removed: "RemovedOutput") -> Entry:
        entry = self.project.find_entry(removed.entry_id)
        if entry is None:
            raise ProjectError("the request this output belonged to is gone")
        for name, data in removed.assets.items():
            self._write_asset(name, data)
        entry.outputs.insert(min(removed.index, len(entry.outputs)), removed.output)
        self._changed(entry)
        return entry

    def update_output(self, output: Output, **marks) -> None:
        """Change an output's marks (favourite, rating, note, hidden)."""
        allowed = {"favourite", "rating", "note", "hidden"}
        unknown = set(marks) - allowed
        if unknown:
            raise ValueError(f"cannot set {', '.join(sorted(unknown))} on an output")
        if "rating" in marks and not (type(marks["rating"]) is int and 0 <= marks["rating"] <= 5):
            raise ValueError(f"rating {marks['rating']!r} must be 0 to 5")
        # A wrong type would be written to disk and make the saved file refuse to open.
        for key, kind in (("favourite", bool), ("hidden", bool), ("note", str)):
            if key in marks and not isinstance(marks[key], kind):
                raise ValueError(f"{key} must be a {kind.__name__}, not {marks[key]!r}")
        entry = next((e for e in self.project.entries if any(o is output for o in e.outputs)), None)
        if entry is None:
            raise ProjectError(f"output {output.id} is not in this project")
        for key, value in marks.items():
            setattr(output, key, value)
        self._changed(entry)

    def read_asset(self, name: str) -> bytes:
        """An asset's bytes, checked against its name, for showing, exporting or reusing it.

        Safe from any thread while this session's own thread saves: a save moves working copies
        into the file (removing them under ``_assets_lock``, once the file holds them) and may
        replace the file it reads from, closing the old one."""
        with self._assets_lock:
            try:
                data = (self.folder / name).read_bytes()
            except FileNotFoundError:
                data = None
            archive = self._archive  # taken under the lock: it holds what a save removed meanwhile
        if data is not None:
            check_asset(name, data, self.folder)
            return data
        while archive is not None and name in archive:
            try:
                return archive.read(name)
            except (ValueError, ProjectError):
                # Closed by a save that replaced it (the new one is in place before the old is
                # closed): read from the new one. Damage in a file still current is reported.
                if self._archive is archive:
                    raise
                archive = self._archive
        raise ProjectError(f"asset {name} is missing from the project")

    def flush(self) -> None:
        """Write the whole history as the working folder's base, and start an empty journal."""
        base = project_json_bytes(self.project)
        atomic_write_bytes(self.folder / PROJECT_JSON, base)
        header = _journal_header(base)
        atomic_write_bytes(self.folder / JOURNAL, header)  # replaces the journal of the old base
        self._base_bytes, self._journal_bytes = len(base), len(header)

    # ----- saving ---------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> Path:
        """Save to the ``.atelier`` file; on failure the previous save is untouched and the
        error says why.

        Saving again to the file this session last read or wrote appends what changed since
        (``ProjectArchive.append``): a cost of the change, not of the whole project. Otherwise,
        or once dead bytes would make up half the file, the whole file is written atomically
        and the previous one kept as ``NAME.atelier~``. Unchanged assets are copied byte for
        byte, never re-encoded or re-hashed.
        """
        target = Path(path).resolve() if path is not None else self.path
        if target is None:
            raise ProjectError("this project has no file yet; choose where to save it")
        with save_lock(target):
            return self._save_locked(target)

    def _save_locked(self, target: Path) -> Path:
        self.merged_outputs = []
        if target == self.path and _identity(target) != self._archive_stat:
            self._take_in_newer_file(target)
        try:
            plan = self._append_plan(target)
            if plan is not None:
                new_assets, drop = plan
                if self._changed_entries or new_assets or drop:  # else the file holds it all already
                    change = change_json_bytes(self.project, self._changed_entries.values())
                    self._archive.append(change, [(n, (self.folder / n).read_bytes()) for n in new_assets], drop)
                    self._archive.project = self.project
            else:
                _remove_stale_temp_files(target)
                passthrough = self._unknown_members()
                with atomic_writer(target, backup=target.with_name(target.name + "~")) as fh:
                    write_archive(fh, self.project, self._asset_stream, self._thumbnail(), passthrough)
                old = self._archive
                self._archive = ProjectArchive(target, written=self.project)  # later reads come from it
                if old is not None:
                    old.close()
        except ZIP_ERRORS as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ProjectError(
                f"{target}: could not save ({reason}); the previous file is unchanged. "
                "Free some disk space or save somewhere else"
            ) from exc
        self._archive_stat = _identity(target)
        self.path = target
        self.dirty = False
        self._changed_entries.clear()
        self._released.clear()
        self._saved_modified = self.project.modified
        # Not synced: if a power cut loses it, the old lock offers work that is saved already.
        self._write_lock(durable=False)
        self._remove_working_copies()  # the file holds them now
        return target

    def close(self) -> None:
        """End the session and delete its working folder. Save first to keep the work."""
        if self._archive is not None:
            self._archive.close()
            self._archive = None
        shutil.rmtree(self.folder, ignore_errors=True)

    # ----- another writer ---------------------------------------------------------------------
    def _take_in_newer_file(self, target: Path) -> None:
        """The file changed since this session last read or wrote it (another Atelier saved
        to it): lay this session's changes over what it holds now, so the save that follows
        keeps both. The project changes in place (the window holds its entries), and what the
        other writer added is listed in ``merged_outputs``. Where both changed the same thing
        differently, nothing is saved, and the work stays in the working folder."""
        if _identity(target) is None:
            return  # gone (moved or deleted): written anew from what this session holds
        try:
            theirs = ProjectArchive(target)
        except ProjectError as exc:
            raise ProjectError(f"{exc}; another program changed it since this project was read, so nothing "
                               "was saved over it; your work is kept: save it under another name") from None
        try:
            base = self._archive.saved_project() if self._archive is not None else Project(entries=[])
            ours, their_project = self.project.to_dict(), theirs.project.to_dict()
            merged = merge_projects(base.to_dict(), ours, their_project)
        except MergeConflict as exc:
            theirs.close()
            raise ProjectError(f"{target}: another Atelier saved to it meanwhile and {exc}; nothing was saved "
                               "over it and your work is kept: save it under another name") from None
        except BaseException:
            theirs.close()
            raise
        known = {output["id"] for entry in ours["entries"] for output in entry["outputs"]}
        their_entries = {entry["id"]: entry for entry in their_project["entries"]}
        differ = {entry["id"] for entry in merged.entries if entry != their_entries.get(entry["id"])}
        self._adopt(merged)
        for name in sorted(self.project.assets() - set(theirs.names())):
            if not (self.folder / name).exists() and self._has_asset(name):
                self._keep_locally(name, self.read_asset(name))  # only the old file had it: keep it for the write
        old, self._archive = self._archive, theirs
        if old is not None:
            old.close()
        self._archive_stat = _identity(target)
        self._saved_modified = theirs.project.modified
        self._changed_entries = {entry.id: entry for entry in self.project.entries if entry.id in differ}
        self.merged_outputs = [(entry, output) for entry, output in self.project.outputs() if output.id not in known]
        self.flush()  # a crash from here on recovers what the other writer saved too

    def _adopt(self, merged) -> None:
        """Make ``self.project`` the merged one, keeping the objects of entries and outputs
        that did not change, so whoever holds them (a request in flight) still adds to the project."""
        project = self.project
        entries = {entry.id: entry for entry in project.entries}
        adopted = []
        for data in merged.entries:
            entry = entries.get(data["id"])
            if entry is None:
                adopted.append(Entry.from_dict(data))
                continue
            if entry.to_dict() != data:
                outputs = {output.id: output for output in entry.outputs}
                fresh = Entry.from_dict(data)
                for name in _ENTRY_FIELDS:
                    setattr(entry, name, getattr(fresh, name))
                entry.outputs[:] = [outputs[o.id] if o.id in outputs and outputs[o.id].to_dict() == o.to_dict() else o
                                    for o in fresh.outputs]
            adopted.append(entry)
        project.entries[:] = adopted
        own = Project.from_dict({**merged.project, "entries": []})
        project.created, project.modified, project.extra = own.created, now(), own.extra

    # ----- internals ------------------------------------------------------------------------
    def _changed(self, entry: Entry) -> None:
        self.project.modified = now()
        self._changed_entries[entry.id] = entry
        if not self.dirty:
            # Mark the lock unsaved before the change lands, so a crash can never look clean.
            self.dirty = True
            self._write_lock()
        if self._journal_bytes > self._base_bytes + _JOURNAL_SLACK:
            self.flush()  # the base again, so that the journal stays shorter than the history
            return
        line = change_json_bytes(self.project, [entry]) + b"\n"
        with open(self.folder / JOURNAL, "ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self._journal_bytes += len(line)

    def _remove_working_copies(self) -> None:
        # Under the lock: a reader on another thread never finds a copy gone between looking for
        # it and reading it (and, on Windows, the unlink never meets an open copy).
        with self._assets_lock:
            try:
                for copy in (self.folder / "assets").iterdir():
                    if f"assets/{copy.name}" not in self._held_inputs:
                        copy.unlink(missing_ok=True)
            except FileNotFoundError:
                pass

    def _has_asset(self, name: str) -> bool:
        return (self.folder / name).exists() or (self._archive is not None and name in self._archive)

    def _store_asset(self, data: bytes, suffix: str) -> str:
        """Write ``data`` durably under its content name (once) and return that name."""
        import hashlib  # here: OpenSSL's start would slow the window's

        name = asset_name(hashlib.sha256(data).hexdigest(), suffix)
        self._write_asset(name, data)
        return name

    def _write_asset(self, name: str, data: bytes) -> None:
        if not self._has_asset(name):
            self._keep_locally(name, data)

    def _keep_locally(self, name: str, data: bytes) -> None:
        target = self.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)

    def _asset_stream(self, name: str):
        try:
            local = open(self.folder / name, "rb")
        except FileNotFoundError:
            pass
        else:
            return local, os.fstat(local.fileno()).st_size
        if self._archive is not None and name in self._archive.implausible_assets:
            return None  # bytes that were never an output: the save goes on without them
        if self._archive is not None and name in self._archive:
            return self._archive.open_member(name), self._archive.size(name)
        return None

    def _append_plan(self, target: Path) -> tuple[list[str], set[str]] | None:
        """(assets to add, asset members to stop listing) when ``target`` can take an appending
        save: it is the file this session last read or wrote, unchanged since, not opened from
        a cut-short save, and not mostly dead bytes already. None when it needs a full write."""
        archive = self._archive
        if archive is None or archive.recovered or target != self.path or _identity(target) != self._archive_stat:
            return None
        if archive.format_version != FORMAT_VERSION:
            return None  # an upgraded file is written anew, the original kept as the backup
        local = self.folder / "assets"
        made = sorted(f"assets/{p.name}" for p in local.iterdir()) if local.is_dir() else []
        drop: set[str] = set()
        if self._released:  # only a removal can leave assets unreferenced: check the whole project then
            referenced = self.project.assets()
            made = [n for n in made if n in referenced]
            drop = {n for n in self._released if n not in referenced and n in archive}
        new_assets = [n for n in made if n not in archive]
        new_bytes = [(self.folder / n).stat().st_size for n in new_assets]
        if any(size >= 0xFFFFFFFF for size in new_bytes):
            return None  # only a full write stores members that large
        live = archive.live_bytes() - sum(archive.size(n) for n in drop) + sum(new_bytes)
        if _mostly_dead(self._archive_stat[1], live):
            return None  # compact: a full write drops the dead bytes
        return new_assets, drop

    def _unknown_members(self):
        if self._archive is None:
            return []
        known = {"mimetype", PROJECT_JSON, THUMBNAIL}
        # Changes members are folded into the new project.json: copied, they would apply again.
        names = [n for n in self._archive.names()
                 if n not in known and not n.startswith("assets/") and not CHANGE_NAME.match(n)]
        return [(n, self._archive.open_member(n), self._archive.size(n)) for n in names]

    def _thumbnail(self) -> bytes | None:
        newest = next(
            (o.asset for _e, o in reversed(list(self.project.outputs()))
             if o.kind == "image" and not o.hidden and self._has_asset(o.asset)),
            None,
        )
        if newest is None:
            return None
        if self._thumbnail_cache is None or self._thumbnail_cache[0] != newest:
            self._thumbnail_cache = (newest, make_thumbnail(self.read_asset(newest)))
        return self._thumbnail_cache[1]

    def _write_lock(self, durable: bool = True) -> None:
        """Write the lock. Durable: atomically and synced, for what must survive a crash (that
        the folder holds unsaved work). Otherwise (that everything is saved) in place when it
        can be: padded to whole blocks, so the new lock is one write over one of the same size,
        and a lock lost to a power cut only offers saved work for recovery."""
        lock = {
            "pid": os.getpid(),
            "host": _host(),
            "started": _process_start(os.getpid()),
            "project_path": str(self.path) if self.path else None,
            "saved": not self.dirty and self.path is not None,
            "saved_modified": self._saved_modified,
        }
        data = json.dumps(lock).encode()
        data += b" " * (-len(data) % 1024)  # JSON allows trailing spaces
        path = self.folder / LOCK
        if not durable:
            try:
                with open(path, "r+b") as fh:
                    if os.fstat(fh.fileno()).st_size == len(data):
                        fh.write(data)
                        return
            except FileNotFoundError:
                pass
        atomic_write_bytes(path, data, durable=durable)


@dataclass(frozen=True)
class RemovedOutput:
    entry_id: str
    index: int
    output: Output
    assets: dict  # asset name -> bytes


# ----- crash recovery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CrashedSession:
    folder: Path
    project_path: Path | None
    outputs: int
    modified: str
    # The project file was saved by someone else after this session last saved it: recovering
    # must not overwrite it, so the recovered session is saved under a new name.
    conflict: bool = False


def crashed_sessions() -> list[CrashedSession]:
    """Working folders left by a process that is gone, holding work the artist may want back.

    A folder whose lock says everything was saved, or that never got a single request, holds
    nothing worth offering: it is removed.
    """
    found = []
    root = sessions_dir()
    if not root.is_dir():
        return found
    for folder in sorted(root.iterdir()):
        try:
            lock = json.loads((folder / LOCK).read_text(encoding="utf-8"))
            if not isinstance(lock, dict):
                raise ValueError(f"{LOCK} is not a JSON object")
            project = read_working_project(folder)
        except (OSError, ValueError, ProjectError) as exc:
            log.warning("ignoring unreadable session folder %s: %s", folder, exc)
            continue
        if _alive(lock):
            continue
        path = Path(lock["project_path"]) if isinstance(lock.get("project_path"), str) else None
        if lock.get("saved") is True or not project.entries:
            shutil.rmtree(folder, ignore_errors=True)  # nothing the file (or nobody) lacks
            continue
        found.append(CrashedSession(folder, path, sum(1 for _ in project.outputs()), project.modified,
                                    _saved_elsewhere(path, lock.get("saved_modified"))))
    return found


def _saved_elsewhere(path: Path | None, saved_modified) -> bool:
    if path is None or not path.exists():
        return False
    try:
        with ProjectArchive(path) as archive:
            return archive.project.modified != saved_modified
    except ProjectError:
        return False


def recover(crashed: CrashedSession) -> ProjectSession:
    """Reopen a crashed session in place; its unsaved outputs are all there. Save to keep it."""
    project = read_working_project(crashed.folder)
    archive = None
    if crashed.project_path is not None and crashed.project_path.exists():
        try:
            archive = ProjectArchive(crashed.project_path)
        except ProjectError as exc:
            log.warning("recovering without the saved file: %s", exc)
    path = None if crashed.conflict else crashed.project_path
    session = ProjectSession(crashed.folder, project, path, archive)
    session.dirty = True
    # What changed after the last save is not known: the next append holds every request, and
    # checks every saved asset for one no longer used.
    session._changed_entries = {entry.id: entry for entry in project.entries}
    if archive is not None:
        session._released = {n for n in archive.names() if n.startswith("assets/")}
    session._write_lock()
    session.flush()  # one base holding it all; the next change appends to a new journal
    return session


def read_working_project(folder: Path) -> Project:
    """A working folder's history: its base with its journal's changes laid over it.

    A journal that does not follow this base (left by a rewrite of the base cut short) holds
    nothing the base lacks, and is not used. Its last line may be cut short by a crash in the
    middle of appending it: that change had not been stored yet, and is left out.
    """
    base = (folder / PROJECT_JSON).read_bytes()
    try:
        header, *lines = (folder / JOURNAL).read_bytes().split(b"\n")
    except FileNotFoundError:  # a folder from before journals
        return parse_project_json(base, folder)
    if header + b"\n" != _journal_header(base):
        return parse_project_json(base, folder)
    lines.pop()  # what follows the last newline: nothing, or a line cut short
    return parse_project_json(base, folder, lines)


def _journal_header(base: bytes) -> bytes:
    import hashlib  # here: OpenSSL's start would slow the window's

    return json.dumps({"journal_for": hashlib.sha256(base).hexdigest()}).encode("utf-8") + b"\n"


# The journal may grow this much past the base's size before the base is written again.
_JOURNAL_SLACK = 256 << 10


def discard(crashed: CrashedSession) -> None:
    shutil.rmtree(crashed.folder, ignore_errors=True)


def _mostly_dead(file_size: int, live: int) -> bool:
    """Whether a file holding ``live`` bytes worth keeping is due a full write."""
    return file_size > 2 * live + (256 << 10)


def _identity(path: Path | None) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of a file: another program's write, or a replace, changes it."""
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _remove_stale_temp_files(target: Path, older_than: float = 60.0) -> None:
    """Temp files of saves that were killed midway; a live save touches its file constantly."""
    cutoff = time.time() - older_than
    for stale in target.parent.glob(f".{target.name}-*.tmp"):
        try:
            if stale.stat().st_mtime < cutoff:
                stale.unlink()
        except OSError:
            pass


def _new_folder() -> Path:
    folder = sessions_dir() / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
    folder.mkdir(parents=True)
    return folder


def _alive(lock: dict) -> bool:
    """True if the process that wrote ``lock`` still runs (same host, same pid and start time)."""
    if lock.get("host") != _host():
        return True  # another machine's session (shared home folder): not ours to judge
    pid = lock.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # The pid exists, but pids are reused: compare start times where the OS tells us.
    started = _process_start(pid)
    return started is None or lock.get("started") in (None, started)


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux); None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]
