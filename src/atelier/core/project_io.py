"""The ``.atelier`` file: a zip that never loses work.

Layout (a person unzipping it by hand sees the same):

    mimetype          "application/x-atelier+zip", first, stored, no newline
    project.json      format_version, min_reader_version, app_version, times, the history
    changes/<n>.json  what each later save changed: the project's fields and every request
                      (entry) that changed, whole; applied over project.json in order
    assets/<sha256>.png|.flac   outputs, named by content, stored (they are compressed already)
    thumbnail.png     at most 256 px, the newest image as of the last full write

Reading validates everything and raises only ProjectError. A full write is atomic (temp file,
fsync, ``os.replace``), holds no changes, and keeps the previous file as ``NAME.atelier~``.
Saving again to the same file appends instead (``ProjectArchive.append``): one changes member,
the new assets and a complete new central directory go after everything already in the file,
so a save costs what changed, not the whole history; the previous save stays intact inside the
file, and a save cut short leaves a file that opens as the previous save (``ProjectArchive``
finds the last complete directory).
"""

import contextlib
import io
import json
import logging
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .. import __version__
from .errors import ProjectError
from .project import SUFFIX, Project  # noqa: F401  (SUFFIX: the format's, re-exported)

log = logging.getLogger(__name__)

MIMETYPE = "application/x-atelier+zip"
FORMAT_VERSION = 2
MIN_READER_VERSION = 2  # the oldest reader that understands what this version writes
PROJECT_JSON = "project.json"
CHANGE_NAME = re.compile(r"^changes/(\d{6,})\.json$")
THUMBNAIL = "thumbnail.png"
THUMBNAIL_SIDE = 256
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_ASSET_BYTES = 8 * 1024**3
MAX_MEMBERS = 500_000
ASSET_NAME = re.compile(r"^assets/[0-9a-f]{64}\.[a-z0-9]{1,8}$")
# What zipfile raises on a damaged archive or member: besides BadZipFile, zlib.error from a
# damaged deflate stream and RuntimeError/NotImplementedError for flags, versions, encryption
# or compression methods it cannot read.
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, zlib.error)


def asset_name(digest: str, suffix: str) -> str:
    return f"assets/{digest}.{suffix.lstrip('.').lower()}"


def change_name(number: int) -> str:
    return f"changes/{number:06d}.json"


class ProjectArchive:
    """A validated, open ``.atelier`` file. Assets are read from it on demand, so opening a
    project with thousands of outputs reads only its JSON."""

    def __init__(self, path: Path, written: Project | None = None):
        """``written``: the project just saved to ``path``, so its JSON need not be read back."""
        self.path = Path(path)
        self.recovered = False  # True when the last save was cut short and the one before opened
        self._prefix = None  # the file, cut to its last complete save, when recovered
        self._records: dict[str, bytes] | None = None  # central directory records, made on first append
        self.next_change = 1  # the number of the changes member the next append writes
        self._live_bytes: int | None = None
        self.implausible_assets: set[str] = set()  # filled once the members are known
        try:
            if _ends_with_end_record(self.path):
                self._zip = zipfile.ZipFile(self.path)
            else:  # a torn tail after the last complete save, or not ours at all
                self._zip = self._open_last_complete(zipfile.BadZipFile("the file does not end with a zip directory"))
        except FileNotFoundError:
            raise ProjectError(f"{self.path}: no such project file") from None
        except IsADirectoryError:
            raise ProjectError(f"{self.path}: is a folder, not a project file") from None
        except ZIP_ERRORS as exc:
            self._zip = self._open_last_complete(exc)
        try:
            self._members = self._validate_members()
            if written is not None:
                self.project, self.format_version = written, FORMAT_VERSION
            else:
                self.project = self._read_project()
        except BaseException:
            self._zip.close()
            raise
        self.missing_assets = sorted(self.project.assets() - set(self._members))
        for name in self.missing_assets:
            log.warning("%s: %s is missing from the file; that output cannot be shown", self.path, name)
        # Members that would inflate far past their stored bytes: never read (a zip bomb).
        self.implausible_assets = {name for name, info in self._members.items()
                                   if name.startswith("assets/") and not _plausible_asset(info)}
        for name in sorted(self.implausible_assets):
            log.warning("%s: %s is damaged (it claims to inflate to %s bytes); that output cannot be shown",
                        self.path, short_asset_name(name), f"{self._members[name].file_size:,}")

    def names(self) -> list[str]:
        return list(self._members)

    def __contains__(self, name: str) -> bool:
        return name in self._members

    def read(self, name: str) -> bytes:
        """A member's bytes; an asset's are checked against the hash it is named by."""
        try:
            info = self._members[name]
        except KeyError:
            raise ProjectError(f"{self.path}: has no member {name}") from None
        self._refuse_implausible(name)
        data = self._read_info(info)
        check_asset(name, data, self.path)
        return data

    def _read_info(self, info: zipfile.ZipInfo) -> bytes:
        try:
            return self._zip.read(info)
        except ZIP_ERRORS as exc:
            raise ProjectError(f"{self.path}: {info.filename} is damaged ({exc})") from None

    def open_member(self, name: str):
        self._refuse_implausible(name)
        return self._zip.open(self._members[name])

    def _refuse_implausible(self, name: str) -> None:
        if name in self.implausible_assets:
            info = self._members[name]
            raise ProjectError(f"{self.path}: damaged asset {short_asset_name(name)}: {info.compress_size:,} stored "
                               f"bytes claim to inflate to {info.file_size:,}; that output cannot be used")

    def size(self, name: str) -> int:
        return self._members[name].file_size

    def close(self) -> None:
        self._zip.close()
        if self._prefix is not None:
            self._prefix.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _open_last_complete(self, error: Exception) -> zipfile.ZipFile:
        """The archive as of the last save that finished: an appending save cut short by a
        crash leaves a torn tail after it."""
        try:
            with open(self.path, "rb") as fh:
                if fh.read(4) != b"PK\x03\x04":
                    raise zipfile.BadZipFile("not a zip file")  # not worth searching
                end = last_complete_end(fh)
            if end is None:
                raise zipfile.BadZipFile("no complete central directory")
            self._prefix = _Prefix(open(self.path, "rb"), end)  # zipfile does not close what it is given
            archive = zipfile.ZipFile(self._prefix)
        except ZIP_ERRORS:
            if self._prefix is not None:
                self._prefix.close()
            raise ProjectError(f"{self.path}: not an Atelier project or damaged ({error})") from None
        log.warning("%s: the last save was cut short; opened the save before it", self.path)
        self.recovered = True
        return archive

    def _validate_members(self) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ProjectError(f"{self.path}: has {len(infos):,} members, more than any project should")
        if not infos or infos[0].filename != "mimetype":
            raise ProjectError(f"{self.path}: not an Atelier project (no mimetype first)")
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if not _safe_name(name):
                raise ProjectError(f"{self.path}: unsafe member name {name!r}; refusing to open")
            if name in members:
                raise ProjectError(f"{self.path}: member {name!r} appears twice; the file is damaged")
            limit = MAX_JSON_BYTES if not name.startswith("assets/") else MAX_ASSET_BYTES
            if info.file_size > limit:
                raise ProjectError(f"{self.path}: member {name!r} is implausibly large ({info.file_size:,} bytes)")
            members[name] = info
        if self._read_info(infos[0]) != MIMETYPE.encode():
            raise ProjectError(f"{self.path}: wrong mimetype; not an Atelier project")
        if PROJECT_JSON not in members:
            raise ProjectError(f"{self.path}: has no {PROJECT_JSON}; the file is damaged")
        return members

    def _read_project(self) -> Project:
        data = _decode(self.read(PROJECT_JSON), self.path)
        self.format_version = data.get("format_version", 0)  # as written in the file, before any migration
        changes = self._changes()
        if changes:
            self.next_change = changes[-1][0] + 1
        return self._build(data, changes)

    def saved_project(self) -> Project:
        """The project as this file held it at its last save known here, read again: not
        ``self.project``, which a session goes on changing."""
        return self._build(_decode(self.read(PROJECT_JSON), self.path), self._changes())

    def _changes(self) -> list[tuple[int, str]]:
        """(number, name) of each changes member, in the order they apply."""
        return sorted((int(m[1]), name) for name in self._members if (m := CHANGE_NAME.match(name)))

    def _build(self, data: dict, changes: list[tuple[int, str]]) -> Project:
        data = migrate(data, self.path)
        if changes:
            _apply_changes(data, [_decode(self.read(name), self.path, name) for _n, name in changes], self.path)
        return _build_migrated(data, self.path)

    # ----- appending ----------------------------------------------------------------------------
    def append(self, change: bytes, assets: list[tuple[str, bytes]], drop: set[str]) -> None:
        """Save again in place: write ``change`` (a changes member's JSON) and ``assets``
        ((name, bytes), stored) after the end of the file, then a new central directory that
        lists them and every member but those in ``drop``; then sync.

        Nothing already in the file is overwritten, so until the new end record is complete
        the old one still describes the previous save; on failure the file is cut back to
        exactly what it was. The directory is kept as bytes between saves, so an append costs
        what it adds, not the size of the history.
        """
        if self._prefix is not None:
            raise ProjectError(f"{self.path}: opened from a save cut short; it must be written anew")
        records = self._central_records()
        added: list[zipfile.ZipInfo] = []
        # Unbuffered: a buffered file flushes before it truncates, and on a full disk that flush
        # fails again, so the cut never happened and the torn bytes stayed.
        with open(self.path, "r+b", buffering=0) as fh:
            end = fh.seek(0, os.SEEK_END)
            try:
                added.append(_write_local(fh, change_name(self.next_change), change, zipfile.ZIP_DEFLATED))
                added.extend(_write_local(fh, name, data, zipfile.ZIP_STORED) for name, data in assets)
                new_records = [_central_record(info) for info in added]
                listed = [r for name, r in records.items() if name not in drop] + new_records
                directory = b"".join(listed)
                _write_all(fh, directory + _end_records(len(listed), len(directory), fh.tell()))
                os.fsync(fh.fileno())
            except BaseException:
                os.ftruncate(fh.fileno(), end)  # the file exactly as the previous save left it
                with contextlib.suppress(OSError):
                    os.fsync(fh.fileno())
                raise
        live = self.live_bytes()
        for name in drop:
            records.pop(name, None)
            if (info := self._members.pop(name, None)) is not None:
                live -= info.compress_size
        for info, record in zip(added, new_records):
            records[info.filename] = record
            self._members[info.filename] = info
            if info.filename.startswith("assets/"):
                live += info.compress_size
        self._live_bytes = live
        self.next_change += 1

    def live_bytes(self) -> int:
        """What a full write would keep of the members listed now: not the changes members,
        which it folds into project.json. The rest of the file is dead bytes."""
        if self._live_bytes is None:
            self._live_bytes = sum(i.compress_size for n, i in self._members.items() if not CHANGE_NAME.match(n))
        return self._live_bytes

    def _central_records(self) -> dict[str, bytes]:
        if self._records is None:
            self._records = {name: _central_record(info) for name, info in self._members.items()}
        return self._records


def _plausible_asset(info: zipfile.ZipInfo) -> bool:
    """Atelier stores assets as they are (PNG, FLAC, ... are compressed already): a stored
    member is as large as its bytes in the file. A compressed one that inflates to much more
    than it takes is no image or sound any encoder wrote, but a way to make a reader hold
    gigabytes; an older writer's barely-compressed assets still pass."""
    if info.compress_type == zipfile.ZIP_STORED:
        return info.file_size == info.compress_size
    return info.file_size <= 2 * info.compress_size + (64 << 10)


def check_asset(name: str, data: bytes, where) -> None:
    """An asset's bytes must hash to its name; anything else is damage (or a swapped file)."""
    if ASSET_NAME.match(name) is None:
        return
    import hashlib  # here: OpenSSL's start would slow the window's

    digest = name[len("assets/"):].split(".", 1)[0]
    if hashlib.sha256(data).hexdigest() != digest:
        raise ProjectError(f"{where}: damaged asset {short_asset_name(name)}: its bytes do not match its name; "
                           "that output cannot be used")


def short_asset_name(name: str) -> str:
    """``assets/2d711642b726….png``: enough of the hash to find the member, short enough to read."""
    if ASSET_NAME.match(name) is None:
        return name
    digest, suffix = name[len("assets/"):].split(".", 1)
    return f"assets/{digest[:12]}….{suffix}"


def parse_project_json(raw: bytes, where: Path, changes: list[bytes] = ()) -> Project:
    """Decode, version-check, migrate and build a Project, with ``changes`` (each a changes
    member's JSON) laid over it in order; any problem is a ProjectError."""
    data = migrate(_decode(raw, where), where)
    if changes:
        _apply_changes(data, [_decode(change, where, "a change") for change in changes], where)
    return _build_migrated(data, where)


def _decode(raw: bytes, where: Path, member: str = PROJECT_JSON) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: absurd nesting
        raise ProjectError(f"{where}: {member} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{where}: {member} is not a JSON object")
    return data


def _build(data: dict, where: Path) -> Project:
    return _build_migrated(migrate(data, where), where)


def _build_migrated(data: dict, where: Path) -> Project:
    try:
        return Project.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ProjectError(f"{where}: {PROJECT_JSON} is damaged ({exc})") from None


def _apply_changes(data: dict, changes: list[dict], where: Path) -> None:
    """Lay each changes member over ``data`` in order: its fields replace the project's, and
    each entry it holds replaces the entry with the same id, or joins the end if new."""
    entries = data.setdefault("entries", [])
    if not isinstance(entries, list):
        raise ProjectError(f"{where}: {PROJECT_JSON} is damaged (entries is not a list)")
    index = {entry.get("id"): i for i, entry in enumerate(entries) if isinstance(entry, dict)}
    for change in changes:
        changed = change.pop("entries", [])
        if not isinstance(changed, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in changed):
            raise ProjectError(f"{where}: a changes member is damaged (entries without ids)")
        data.update(change)
        for entry in changed:
            position = index.get(entry["id"])
            if position is None:
                index[entry["id"]] = len(entries)
                entries.append(entry)
            else:
                entries[position] = entry


def change_json_bytes(project: Project, entries) -> bytes:
    """A changes member: the project's own fields and ``entries`` (the ones that changed), whole."""
    fields = project.to_dict(entries=False)
    fields["entries"] = [entry.to_dict() for entry in entries]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def project_json_bytes(project: Project) -> bytes:
    header = {
        "format_version": FORMAT_VERSION,
        "min_reader_version": MIN_READER_VERSION,
        "app_version": __version__,
    }
    body = project.to_dict()
    # Compact: json's C encoder only serves output without indent, and this runs on every change
    # (8x faster for a 1,000-output history). Any JSON viewer shows it laid out.
    return json.dumps({**header, **body}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ----- versions ---------------------------------------------------------------------------------


def migrate(data: dict, where: Path) -> dict:
    """Bring ``data`` to FORMAT_VERSION, one version at a time; refuse files from the future."""
    version = data.get("format_version", 0)
    needed = data.get("min_reader_version", version)
    if not isinstance(version, int) or not isinstance(needed, int) or version < 0:
        raise ProjectError(f"{where}: {PROJECT_JSON} has no valid format_version")
    if needed > FORMAT_VERSION:
        raise ProjectError(
            f"{where}: was saved by a newer Atelier (format {version}, needs reader {needed}; "
            f"this is {__version__}, reader {FORMAT_VERSION}); update Atelier to open it"
        )
    while version < FORMAT_VERSION:
        try:
            data = _MIGRATIONS[version](data)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ProjectError(f"{where}: cannot upgrade format {version} ({exc})") from None
        version += 1
    for key in ("format_version", "min_reader_version", "app_version"):
        data.pop(key, None)
    return data


def _v0_to_v1(data: dict) -> dict:
    """v0 (pre-release): flat ``prompts`` and ``outputs`` lists, outputs pointing at prompts by
    ``prompt_id`` and holding a bare ``file`` and ``seed``. v1 groups outputs into entries."""
    if "entries" in data:  # v1 data without its format_version: damaged, not v0; never drop it
        raise ValueError("it has entries but no format_version")
    data = dict(data)
    prompts = data.pop("prompts", [])
    flat_outputs = data.pop("outputs", [])
    entries = []
    by_prompt = {}
    for prompt in prompts:
        prompt = dict(prompt)
        entry = {
            "id": prompt.pop("id"),
            "prompt": prompt.pop("prompt", ""),
            "negative_prompt": prompt.pop("negative_prompt", ""),
            "parameters": prompt.pop("settings", {}),
            "model": {"name": prompt.pop("model")} if "model" in prompt else {},
            "outputs": [],
            **prompt,
        }
        entries.append(entry)
        by_prompt[entry["id"]] = entry
    for output in flat_outputs:
        output = dict(output)
        entry = by_prompt[output.pop("prompt_id")]
        seed = output.pop("seed", None)
        recipe = {"prompt": entry["prompt"], "negative_prompt": entry["negative_prompt"], **entry["parameters"]}
        if seed is not None:
            recipe["seed"] = seed
        entry["outputs"].append({"asset": output.pop("file"), "kind": output.pop("kind", "image"), "recipe": recipe, **output})
    data["entries"] = entries
    return data


_MIGRATIONS = {0: _v0_to_v1, 1: lambda data: data}  # v2 adds changes members, same JSON


# ----- writing ----------------------------------------------------------------------------------


def write_archive(fh, project: Project, read_asset, thumbnail: bytes | None, passthrough=(),
                  project_json: bytes | None = None) -> None:
    """Write a complete ``.atelier`` into the binary file ``fh``.

    ``read_asset(name)`` returns a readable binary stream and its size for each asset (None if
    it is missing); assets are copied as they are, stored, never re-encoded. ``passthrough`` lists (name, stream, size)
    members a newer version wrote that this one does not know: kept, not dropped.
    """
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(_info("mimetype"), MIMETYPE)
        zf.writestr(_info(PROJECT_JSON, zipfile.ZIP_DEFLATED), project_json or project_json_bytes(project))
        for name in sorted(project.assets()):
            found = read_asset(name)
            if found is None:  # already lost before this save; the record of it is kept
                log.warning("saving without missing asset %s", name)
                continue
            _copy_member(zf, name, *found)
        for name, stream, size in passthrough:
            _copy_member(zf, name, stream, size)
        if thumbnail is not None:
            zf.writestr(_info(THUMBNAIL), thumbnail)


_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_CENTRAL_HEADER = b"PK\x01\x02"


def _ends_with_end_record(path: Path) -> bool:
    """Whether the file ends with a zip end record (without a comment), as every complete
    save leaves it."""
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 22))
        tail = fh.read(22)
    return len(tail) == 22 and tail[:4] == _EOCD and tail[20:22] == b"\0\0"


def last_complete_end(fh, search_bytes: int = 1 << 30) -> int | None:
    """The length of the longest prefix of the zip in ``fh`` that ends with a complete end
    record whose central directory sits right before it; None if there is none in the last
    ``search_bytes``. A save that appends and is cut short leaves such a prefix: the save before."""
    size = fh.seek(0, os.SEEK_END)
    chunk_size = 1 << 20
    position = size
    while position > 0 and size - position < search_bytes:
        start = max(0, position - chunk_size)
        fh.seek(start)
        chunk = fh.read(position - start + len(_EOCD) - 1)  # overlap: a signature split across chunks
        index = len(chunk)
        while (index := chunk.rfind(_EOCD, 0, index)) >= 0:
            end = _end_if_complete(fh, start + index, size)
            if end is not None:
                return end
        position = start
    return None


def _end_if_complete(fh, offset: int, size: int) -> int | None:
    fh.seek(offset)
    record = fh.read(22)
    if len(record) < 22:
        return None
    _sig, _disk, _cd_disk, _here, total, cd_size, cd_offset, comment = struct.unpack("<4s4H2LH", record)
    if comment != 0:
        return None  # we never write comments
    if 0xFFFFFFFF in (cd_size, cd_offset) or total == 0xFFFF:  # zip64: the real numbers are elsewhere
        fh.seek(offset - 20)
        locator = fh.read(20)
        if len(locator) < 20 or locator[:4] != _EOCD64_LOCATOR:
            return None
        eocd64 = struct.unpack("<4sLQL", locator)[2]
        fh.seek(eocd64)
        record64 = fh.read(56)
        if len(record64) < 56 or record64[:4] != b"PK\x06\x06":
            return None
        cd_size, cd_offset = struct.unpack("<QQ", record64[40:56])
        directory_end = eocd64
    else:
        directory_end = offset
    if cd_offset + cd_size != directory_end or directory_end > size:
        return None
    fh.seek(cd_offset)
    if total and fh.read(4) != _CENTRAL_HEADER:
        return None
    return offset + 22


class _Prefix(io.RawIOBase):
    """The first ``length`` bytes of a binary file, as a seekable file of their own."""

    def __init__(self, fh, length: int):
        self._fh, self._length, self._position = fh, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:
        count = max(0, min(len(buffer), self._length - self._position))
        self._fh.seek(self._position)
        data = self._fh.read(count)
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


def make_thumbnail(image_bytes: bytes) -> bytes | None:
    """A PNG of at most THUMBNAIL_SIDE px on its long side; None if the image cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image_bytes)) as image:
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            out = io.BytesIO()
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(out, format="PNG")
            return out.getvalue()
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        log.warning("could not make a thumbnail: %s", exc)
        return None


def _copy_member(zf: zipfile.ZipFile, name: str, stream, size: int) -> None:
    with stream, zf.open(_info(name), "w", force_zip64=size > 0x7FFFFFFF) as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)


def _info(name: str, compression: int = zipfile.ZIP_STORED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


_DOS_1980_01_01 = (1 << 5) | 1
_ZIP64_LIMIT = 0xFFFFFFFF


def _write_local(fh, name: str, data: bytes, method: int) -> zipfile.ZipInfo:
    """Write one member (local header, then its bytes) at the file position; its ZipInfo."""
    if len(data) >= _ZIP64_LIMIT:
        raise ValueError(f"{name} is too large to append ({len(data):,} bytes)")
    payload = data
    if method == zipfile.ZIP_DEFLATED:
        deflate = zlib.compressobj(1, zlib.DEFLATED, -15)  # fast: it runs on every save
        payload = deflate.compress(data) + deflate.flush()
    info = _info(name, method)
    info.header_offset, info.CRC = fh.tell(), zlib.crc32(data)
    info.file_size, info.compress_size = len(data), len(payload)
    encoded = name.encode("ascii")  # member names are ASCII (_safe_name, asset_name)
    _write_all(fh, struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, _DOS_1980_01_01, info.CRC,
                               info.compress_size, info.file_size, len(encoded), 0) + encoded)
    _write_all(fh, payload)
    return info


def _write_all(fh, data: bytes) -> None:
    """An unbuffered file may take part of a write; the rest goes after it."""
    view = memoryview(data)
    while view:
        view = view[fh.write(view):]


def _central_record(info: zipfile.ZipInfo) -> bytes:
    """A member's central directory record, with a zip64 field for what does not fit 32 bits."""
    size, compressed, offset, big = info.file_size, info.compress_size, info.header_offset, []
    for value in (size, compressed, offset):  # the order zip64 fields are read in
        if value >= _ZIP64_LIMIT:
            big.append(value)
    extra = struct.pack(f"<2H{len(big)}Q", 1, 8 * len(big), *big) if big else b""
    year, month, day, hour, minute, second = info.date_time
    dos_date = (year - 1980) << 9 | month << 5 | day
    dos_time = hour << 11 | minute << 5 | second // 2
    name = info.filename.encode("utf-8")
    comment = info.comment or b""
    version = 45 if big else 20
    return struct.pack(
        "<4s4B4HL2L5H2L", b"PK\x01\x02", version, 3, version, 0, info.flag_bits, info.compress_type,
        dos_time, dos_date, info.CRC, min(compressed, _ZIP64_LIMIT), min(size, _ZIP64_LIMIT), len(name),
        len(extra), len(comment), 0, info.internal_attr, info.external_attr, min(offset, _ZIP64_LIMIT),
    ) + name + extra + comment


def _end_records(count: int, size: int, offset: int) -> bytes:
    """The end of central directory record, after a zip64 one and its locator when needed."""
    end = struct.pack("<4s4H2LH", _EOCD, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), min(size, _ZIP64_LIMIT),
                      min(offset, _ZIP64_LIMIT), 0)
    if count < 0xFFFF and size < _ZIP64_LIMIT and offset < _ZIP64_LIMIT:
        return end
    record64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, offset)
    locator = struct.pack("<4sLQL", _EOCD64_LOCATOR, 0, offset + size, 1)
    return record64 + locator + end


def _safe_name(name: str) -> bool:
    """No absolute paths, drive letters, backslashes or ``..``: nothing can escape a folder."""
    if not name or name.startswith("/") or "\\" in name or "\0" in name or ":" in name:
        return False
    parts = PurePosixPath(name).parts
    return all(part not in ("..", ".") for part in parts) and not name.endswith("/")
