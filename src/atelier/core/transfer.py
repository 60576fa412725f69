"""Moving outputs in and out of a project: export to a plain folder, import images made
elsewhere (recovering their recipe from whatever metadata they carry).

Export never replaces a file in the folder it writes to: a name that is taken gets ``-2``,
``-3``, ... Import reads files that may be damaged or made to hurt, so it is bounded (see the
``MAX_IMPORT_*`` limits and ``interop``): a file past a limit is refused with one line naming it
and the reason, and what is kept from its metadata is cut to size and checked, with notes."""

import io
import itertools
import json
import logging
import os
import re
import stat
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_new
from .errors import AtelierError, ProjectError
from .interop import (
    PNG_SIGNATURE,
    MetadataLimitError,
    describe_size,
    generation_info_from_chunks,
    hidden_generation_info,
    png_text_chunks,
    read_generation_info,
)
from .project import Output, Project
from .recipe import settings_of
from .recipe_settings import is_long_seed
from .session import ProjectSession
from .tasks import TextToImageRequest

log = logging.getLogger(__name__)

AUDIO_FORMATS = ("flac", "wav")
LISTING_FIELDS = (
    "file", "kind", "prompt", "negative_prompt", "seed", "steps", "guidance", "scheduler",
    "width", "height", "model", "created", "favourite", "rating", "note",
)

MAX_IMPORT_PIXELS = 8192 * 8192
"""The largest image imported: the most the window can show (Qt refuses to decode more than
256 MB, 4 bytes a pixel). A decompression bomb claims far more in a few bytes."""
MAX_IMPORT_BYTES = 300 * 1024 * 1024
"""The largest file imported: room for the largest image stored without compression."""
MAX_PROMPT_CHARS = 10_000
"""The longest prompt (or negative prompt) an import keeps; the rest is cut, with a note. CLIP
reads 75 tokens at a time, so this is over 25 of A1111's prompt chunks; the full text stays in
the image's own metadata, which the project keeps byte for byte."""
# Settings an import can reuse, checked together as the app's own requests are (jobs.py).
_SETTINGS = (("seed",), ("steps",), ("guidance",), ("width", "height"), ("scheduler",))
_MAX_JPEG_SEGMENTS = 4096
_OTHER_FORMATS = ((b"GIF8", "GIF"), (b"BM", "BMP"), (b"II*\0", "TIFF"), (b"MM\0*", "TIFF"))


@dataclass
class Exported:
    """What ``export_outputs`` wrote: the outputs' files, in project order, and the listing
    (``prompts.csv`` and ``prompts.json``, or ``prompts-2.csv`` ... when those were taken)."""

    files: list[Path]
    listing: tuple[Path, Path]
    unreadable: list[str] = field(default_factory=list)  # one line each: outputs left out, and why


@dataclass
class ImportedImage:
    """An image file read for import: its bytes, and what its metadata gives, checked."""

    data: bytes
    suffix: str  # "png", "jpg" or "webp"
    recipe: dict | None  # what the metadata revealed (raw text verbatim), or None
    notes: list[str] = field(default_factory=list)  # what was left out or cut, for a person

    @property
    def parameters(self) -> dict:
        settings = settings_of(self.recipe)
        return {key: settings[key] for names in _SETTINGS for key in names if key in settings}


def export_outputs(
    project: Project,
    read_asset: Callable[[str], bytes],
    dest: Path,
    output_ids: Iterable[str] | None = None,
    audio_format: str = "flac",
    include_hidden: bool = False,
) -> Exported:
    """Write outputs as ordinary files into ``dest`` plus ``prompts.csv`` and ``prompts.json``
    saying what made each. Images keep their metadata chunks (they are copied byte for byte).
    ``output_ids`` selects outputs; otherwise every output that is not hidden. No file already
    in ``dest`` is ever replaced: a taken name gets a number (``prompts-2.csv``, ...). An output
    whose asset cannot be read is left out and named in ``unreadable``."""
    if audio_format not in AUDIO_FORMATS:
        raise ProjectError(f"audio format {audio_format!r}: choose {' or '.join(AUDIO_FORMATS)}")
    wanted = set(output_ids) if output_ids is not None else None
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"{dest}: cannot create the export folder ({exc.strerror or exc})") from exc
    written, rows, unreadable = [], [], []
    for number, (entry, output) in enumerate(project.outputs(), start=1):
        if wanted is not None and output.id not in wanted:
            continue
        if wanted is None and output.hidden and not include_hidden:
            continue
        try:
            data = read_asset(output.asset)
        except ProjectError as exc:  # a damaged or missing asset: the others still go out
            unreadable.append(str(exc))
            continue
        suffix = output.asset.rsplit(".", 1)[-1]
        if output.kind == "audio" and suffix != audio_format:
            data, suffix = _convert_audio(data, audio_format), audio_format
        settings = settings_of(output.recipe)
        stem = f"{number:04d}-{_slug(settings.get('prompt') or entry.prompt)}-{settings.get('seed', 'x')}"
        written.append(_write_numbered(dest, stem, f".{suffix}", data))
        rows.append(_listing_row(written[-1].name, entry, output))
    return Exported(written, _write_listing(dest, rows), unreadable)


def import_images(session: ProjectSession, images: Iterable[Path]) -> list[Output]:
    """Add each image as its own entry, with the prompt and settings its metadata reveals.

    Unknown or absent metadata gives an output without a recipe, not an error. A file that
    cannot be imported (missing, not a PNG, JPEG or WebP, damaged, past a limit) raises
    ProjectError naming it; images added before it stay in the session. What was left out of
    or cut from an image's metadata is listed in its entry's ``extra["import_notes"]``."""
    return [add_imported_image(session, Path(path), read_image_for_import(Path(path))) for path in images]


def add_imported_image(session: ProjectSession, path: Path, image: ImportedImage) -> Output:
    """``image`` (read from ``path``) as its own entry, with the prompt and settings it carries."""
    settings = settings_of(image.recipe)
    model = (image.recipe or {}).get("model")
    entry = session.add_entry(
        prompt=settings.get("prompt", ""),
        negative_prompt=settings.get("negative_prompt", ""),
        parameters=image.parameters,
        model=model if isinstance(model, dict) else {},
    )
    entry.extra["imported_from"] = str(path)
    if image.notes:
        entry.extra["import_notes"] = image.notes
    return session.add_output(entry, "image", image.data, image.suffix, image.recipe)


def read_image_for_import(path: Path) -> ImportedImage:
    """Read, check and decode ``path`` and its metadata, within the ``MAX_IMPORT_*`` limits.

    Raises ProjectError, one line naming the file and the reason, for a file that cannot be
    imported; never anything else for what a file holds. Memory stays within a few times the
    file's size and the decoded image's, whatever the file claims.
    """
    from PIL import Image

    data = _read_limited(path)
    suffix, opener = _image_kind(path, data)
    notes: list[str] = []
    chunks = None
    try:
        if suffix == "png":
            chunks = png_text_chunks(data)  # before Pillow reads any of them
        elif suffix == "jpg":
            _check_jpeg_segments(data)
        _check_pixels(path, _header_size(suffix, data))
        image = opener(io.BytesIO(data))
    except MetadataLimitError as exc:
        raise ProjectError(f"{path}: too large to import: {exc}") from None
    except Image.DecompressionBombError as exc:
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        raise ProjectError(f"{path}: too large to import: {int(pixels[1]) if pixels else 0:,} pixels "
                           f"(at most {MAX_IMPORT_PIXELS:,})") from None
    except (AtelierError, MemoryError):
        raise
    except Exception as exc:  # Pillow raises many kinds for damaged files
        raise ProjectError(f"{path}: not an image Atelier can read ({_one_line(exc)})") from None
    with image:
        try:
            _check_pixels(path, image.size)
            image.load()  # decode now: a damaged image is refused here, not when it is shown
        except AtelierError:
            raise
        except Exception as exc:
            raise ProjectError(f"{path}: not an image Atelier can read ({_one_line(exc)})") from None
        try:
            if chunks is not None:
                info = generation_info_from_chunks(chunks, notes)
                if info is None:  # no text gave anything; the pixels' lowest bits may hide it
                    info = hidden_generation_info(image, notes)
            else:
                info = read_generation_info(image, notes)
        except MetadataLimitError as exc:
            raise ProjectError(f"{path}: cannot be imported: {exc}") from None
        except Exception as exc:  # a reader's bug, found by a file made to find one: keep the image
            log.debug("metadata of %s left out", path, exc_info=True)
            notes.append(f"its metadata could not be read ({_one_line(exc)}), so it was left out")
            info = None
    return ImportedImage(data, suffix, _checked(info, notes), notes)


def _read_limited(path: Path) -> bytes:
    """The file's bytes, never more than ``MAX_IMPORT_BYTES`` read (a file can grow meanwhile)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ProjectError(f"{path}: is {kind}, not an image file")
        data = b""
        if info.st_size <= MAX_IMPORT_BYTES:
            with open(path, "rb") as fh:  # (read() allocates what it is asked for, used or not)
                data = fh.read(info.st_size + 1)
                if len(data) > info.st_size:  # it grew meanwhile
                    data += fh.read(MAX_IMPORT_BYTES + 1 - len(data))
        if info.st_size > MAX_IMPORT_BYTES or len(data) > MAX_IMPORT_BYTES:
            raise ProjectError(f"{path}: too large to import: {describe_size(max(info.st_size, len(data)))} "
                               f"(at most {describe_size(MAX_IMPORT_BYTES)})")
        return data
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such image file") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _image_kind(path: Path, data: bytes) -> tuple[str, Callable]:
    """The suffix the asset gets and the Pillow class that opens ``data``, by its first bytes.

    The class is used directly rather than through ``Image.open``, whose decompression-bomb
    check warns (on stderr) or raises before the size can be told to the artist; the size is
    checked here instead, against the lower ``MAX_IMPORT_PIXELS``."""
    from PIL import JpegImagePlugin, PngImagePlugin, WebPImagePlugin

    if data.startswith(PNG_SIGNATURE):
        return "png", PngImagePlugin.PngImageFile
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", JpegImagePlugin.JpegImageFile
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", WebPImagePlugin.WebPImageFile
    for signature, name in _OTHER_FORMATS:
        if data.startswith(signature):
            raise ProjectError(f"{path}: {name} images cannot be imported; use PNG, JPEG or WebP")
    raise ProjectError(f"{path}: not an image Atelier can read (use PNG, JPEG or WebP)")


def _check_jpeg_segments(data: bytes) -> None:
    """Refuse a JPEG whose header (the segments before the pixel data) has more than
    ``_MAX_JPEG_SEGMENTS`` segments or fill bytes. Pillow reads them one by one in Python and
    keeps each (4 bytes apiece on disk, about 100 in memory): a 4 MB file of empty comments
    took it 1 s and 100 MB, so the largest file imported would take minutes and gigabytes.
    Real JPEGs have a few dozen (ICC profiles and XMP split into 64 KB pieces: a few hundred)."""
    position, count = 2, 0
    while position + 4 <= len(data):
        count += 1
        if count > _MAX_JPEG_SEGMENTS:
            raise MetadataLimitError(f"its header is made of more than {_MAX_JPEG_SEGMENTS:,} JPEG segments")
        if data[position] != 0xFF:
            return  # not a marker: whether the file is whole is Pillow's to say
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before a marker
            position += 1
        elif marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
        elif marker in (0xDA, 0xD9):  # start of the pixel data, or the end
            return
        else:
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")


def _header_size(suffix: str, data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's or WebP's header, for the formats that allocate their
    pixels as they open (WebP) or are checked best before anything else is read (PNG)."""
    if suffix == "png" and data[12:16] == b"IHDR":
        return struct.unpack_from(">II", data, 16)
    if suffix == "webp" and len(data) >= 30:
        if data[12:16] == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
            width, height = struct.unpack_from("<HH", data, 26)
            return width & 0x3FFF, height & 0x3FFF
        if data[12:16] == b"VP8X":
            return (int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1)
        if data[12:16] == b"VP8L" and data[20] == 0x2F:
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _check_pixels(path: Path, size: tuple[int, int] | None) -> None:
    if size is not None and size[0] * size[1] > MAX_IMPORT_PIXELS:
        raise ProjectError(f"{path}: too large to import: {size[0]}x{size[1]} pixels "
                           f"(at most {MAX_IMPORT_PIXELS:,}, e.g. 8192x8192)")


def _checked(info: dict | None, notes: list[str]) -> dict | None:
    """``info`` with its prompts cut to ``MAX_PROMPT_CHARS`` and only the settings the app
    itself accepts (the text-to-image request's ranges; a seed past 32 bits, as Fooocus and
    ComfyUI draw them, is kept as written), each change named in ``notes``. The raw
    metadata text is kept verbatim. An Atelier recipe holds its settings in its request."""
    if info is None:
        return None
    info = dict(info)
    if isinstance(info.get("request"), dict):
        info["request"] = _checked(info["request"], notes)
        return info
    for key, label in (("prompt", "prompt"), ("negative_prompt", "negative prompt")):
        text = info.get(key)
        if key in info and not isinstance(text, str):
            del info[key]
        elif text is not None and len(text) > MAX_PROMPT_CHARS:
            info[key] = text[:MAX_PROMPT_CHARS]
            notes.append(f"its {label} was cut to the first {MAX_PROMPT_CHARS:,} of {len(text):,} characters "
                         "(the full text stays in the image's metadata)")
    refused = []
    for names in _SETTINGS:
        values = {name: info[name] for name in names if name in info}
        if not values or (names == ("seed",) and is_long_seed(values["seed"])):
            continue  # a 64-bit seed is kept as written, to read; it never goes into a request
        try:
            if any(isinstance(value, bool) for value in values.values()):
                raise TypeError(f"{', '.join(names)}: not a number")
            TextToImageRequest(**values)
        except (AtelierError, TypeError, ValueError, AttributeError) as exc:
            refused.append(_one_line(exc, 120))
            for name in names:
                info.pop(name, None)
    if refused:
        notes.append(f"settings outside Atelier's range were left out: {'; '.join(refused)}")
    return info


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listing_row(name: str, entry, output: Output) -> dict:
    recipe = output.recipe or {}
    model = recipe.get("model") if isinstance(recipe.get("model"), dict) else entry.model
    settings = settings_of(recipe)
    return {
        "file": name,
        "kind": output.kind,
        "prompt": settings.get("prompt", entry.prompt),
        "negative_prompt": settings.get("negative_prompt", entry.negative_prompt),
        "seed": settings.get("seed", ""),
        "steps": settings.get("steps", ""),
        "guidance": settings.get("guidance", ""),
        "scheduler": settings.get("scheduler", ""),
        "width": settings.get("width", ""),
        "height": settings.get("height", ""),
        "model": (model or {}).get("name", ""),
        "created": output.created,
        "favourite": output.favourite,
        "rating": output.rating,
        "note": output.note,
    }


def _write_listing(dest: Path, rows: list[dict]) -> tuple[Path, Path]:
    """``prompts.csv`` and ``prompts.json``, or the first pair of numbered names both free."""
    text = io.StringIO()
    import csv  # here: exports are rare, and the window imports this module at start

    writer = csv.DictWriter(text, fieldnames=LISTING_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    table = text.getvalue().encode("utf-8")
    listing = json.dumps(rows, ensure_ascii=False, indent=2).encode("utf-8")
    for number in itertools.count(1):
        stem = "prompts" if number == 1 else f"prompts-{number}"
        csv_path, json_path = dest / f"{stem}.csv", dest / f"{stem}.json"
        if os.path.lexists(csv_path) or os.path.lexists(json_path):
            continue
        if not _write_if_free(csv_path, table):
            continue
        if not _write_if_free(json_path, listing):  # taken meanwhile: ours goes, the pair moves on
            csv_path.unlink()
            continue
        return csv_path, json_path
    raise AssertionError("unreachable")


def _write_if_free(target: Path, data: bytes) -> bool:
    try:
        return write_new(target, data)
    except OSError as exc:
        raise ProjectError(f"{target}: cannot be written ({exc.strerror or exc})") from exc


def _write_numbered(folder: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write ``data`` as ``stem + suffix`` in ``folder``, or ``stem-2 + suffix``, ... when the
    name is taken; the file that has it is never replaced, even one made meanwhile."""
    for number in itertools.count(1):
        target = folder / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
        if not os.path.lexists(target) and _write_if_free(target, data):
            return target
    raise AssertionError("unreachable")


def _convert_audio(data: bytes, audio_format: str) -> bytes:
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), always_2d=True)
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format=audio_format.upper())
    return out.getvalue()


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:limit].rstrip("-") or "untitled"
