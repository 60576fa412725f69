"""Moving outputs in and out of a project: export to a plain folder, import images made
elsewhere (recovering their recipe from whatever metadata they carry)."""

import io
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from .atomic import atomic_write_bytes
from .errors import ProjectError
from .interop import read_generation_info
from .project import Output, Project
from .session import ProjectSession

AUDIO_FORMATS = ("flac", "wav")
LISTING_FIELDS = (
    "file", "kind", "prompt", "negative_prompt", "seed", "steps", "guidance", "scheduler",
    "width", "height", "model", "created", "favourite", "rating", "note",
)
_IMAGE_SUFFIXES = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def export_outputs(
    project: Project,
    read_asset: Callable[[str], bytes],
    dest: Path,
    output_ids: Iterable[str] | None = None,
    audio_format: str = "flac",
    include_hidden: bool = False,
) -> list[Path]:
    """Write outputs as ordinary files into ``dest`` plus ``prompts.csv`` and ``prompts.json``
    saying what made each. Images keep their metadata chunks (they are copied byte for byte).
    ``output_ids`` selects outputs; otherwise every output that is not hidden."""
    if audio_format not in AUDIO_FORMATS:
        raise ProjectError(f"audio format {audio_format!r}: choose {' or '.join(AUDIO_FORMATS)}")
    wanted = set(output_ids) if output_ids is not None else None
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"{dest}: cannot create the export folder ({exc.strerror or exc})") from exc
    written, rows = [], []
    for number, (entry, output) in enumerate(project.outputs(), start=1):
        if wanted is not None and output.id not in wanted:
            continue
        if wanted is None and output.hidden and not include_hidden:
            continue
        data = read_asset(output.asset)
        suffix = output.asset.rsplit(".", 1)[-1]
        if output.kind == "audio" and suffix != audio_format:
            data, suffix = _convert_audio(data, audio_format), audio_format
        recipe = output.recipe or {}
        target = _unique(dest / f"{number:04d}-{_slug(recipe.get('prompt') or entry.prompt)}-{recipe.get('seed', 'x')}.{suffix}")
        try:
            atomic_write_bytes(target, data)
        except OSError as exc:
            raise ProjectError(f"{target}: cannot be written ({exc.strerror or exc})") from exc
        written.append(target)
        rows.append(_listing_row(target.name, entry, output))
    _write_listing(dest, rows)
    return written


def import_images(session: ProjectSession, images: Iterable[Path]) -> list[Output]:
    """Add each image as its own entry, with the prompt and settings its metadata reveals.
    Unknown or absent metadata gives an output without a recipe, not an error."""
    from PIL import Image, UnidentifiedImageError

    added = []
    for path in images:
        path = Path(path)
        try:
            data = path.read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                suffix = _IMAGE_SUFFIXES.get(image.format or "")
                info = read_generation_info(image)
        except FileNotFoundError:
            raise ProjectError(f"{path}: no such image file") from None
        except (OSError, UnidentifiedImageError) as exc:
            raise ProjectError(f"{path}: not an image Atelier can read ({exc})") from None
        if suffix is None:
            raise ProjectError(f"{path}: {image.format} images cannot be imported; use PNG, JPEG or WebP")
        info = info or {}
        entry = session.add_entry(
            prompt=info.get("prompt", ""),
            negative_prompt=info.get("negative_prompt", ""),
            parameters={k: info[k] for k in ("seed", "steps", "guidance", "width", "height", "scheduler") if k in info},
            model=info.get("model") if isinstance(info.get("model"), dict) else {},
        )
        entry.extra["imported_from"] = str(path)
        added.append(session.add_output(entry, "image", data, suffix, info or None))
    return added


def _listing_row(name: str, entry, output: Output) -> dict:
    recipe = output.recipe or {}
    model = recipe.get("model") if isinstance(recipe.get("model"), dict) else entry.model
    return {
        "file": name,
        "kind": output.kind,
        "prompt": recipe.get("prompt", entry.prompt),
        "negative_prompt": recipe.get("negative_prompt", entry.negative_prompt),
        "seed": recipe.get("seed", ""),
        "steps": recipe.get("steps", ""),
        "guidance": recipe.get("guidance", ""),
        "scheduler": recipe.get("scheduler", ""),
        "width": recipe.get("width", ""),
        "height": recipe.get("height", ""),
        "model": (model or {}).get("name", ""),
        "created": output.created,
        "favourite": output.favourite,
        "rating": output.rating,
        "note": output.note,
    }


def _write_listing(dest: Path, rows: list[dict]) -> None:
    text = io.StringIO()
    import csv  # here: exports are rare, and the window imports this module at start

    writer = csv.DictWriter(text, fieldnames=LISTING_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(dest / "prompts.csv", text.getvalue().encode("utf-8"))
    atomic_write_bytes(dest / "prompts.json", json.dumps(rows, ensure_ascii=False, indent=2).encode("utf-8"))


def _convert_audio(data: bytes, audio_format: str) -> bytes:
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), always_2d=True)
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format=audio_format.upper())
    return out.getvalue()


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:limit].rstrip("-") or "untitled"


def _unique(path: Path) -> Path:
    counter = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{counter}{path.suffix}")
        counter += 1
    return candidate
