"""Whether a listed model is ready to use offline, in one line: from what the scan found, or
(``check``) after looking again on disk. Torch-free: the window's library runs it off the UI
thread, and ``atelier models info`` says it."""

from pathlib import Path

from ..core.errors import ModelError
from ..core.families import AUDIO_TASKS
from ..models import safetensors_header

READY = "ready"


def readiness(info) -> str:
    """READY, or the one-line problem that keeps the model from being used, from what the scan
    found (no disk access)."""
    if info.format == "pickle":
        return info.note
    if info.note:  # e.g. "LoHa/LoKr: not supported"
        return info.note
    if info.kind == "unknown":
        return "not a model type Atelier uses"
    if info.kind == "image" and info.family == "unknown":
        return "a checkpoint of a family Atelier cannot load as one file; use its diffusers folder"
    if info.kind == "audio" and info.family not in AUDIO_TASKS:
        return "no task in Atelier runs this sound model family yet"
    return READY


def check(info) -> str:
    """``readiness`` after looking again on disk: the file or folder is still there, and a
    safetensors header or a diffusers folder is whole. Reads headers and small JSON files only;
    run it off the UI thread."""
    from . import registry

    path = Path(info.path)
    folder = info.format in ("diffusers", "transformers")
    if not (path.is_dir() if folder else path.is_file()):
        return f"no longer at {path}; restore the {'folder' if folder else 'file'}, or rescan"
    try:
        if folder:
            registry.inspect_folder(path)
        elif path.suffix == ".safetensors":
            safetensors_header.check_complete(path)
    except ModelError as exc:
        return one_line(str(exc), path)
    return readiness(info)


def one_line(problem: str, path: Path | None = None) -> str:
    """A problem as the list shows it: one line, without the path it starts with when given."""
    line = problem.strip().splitlines()[0] if problem.strip() else "unknown problem"
    prefix = f"{path}: " if path is not None else ""
    return line[len(prefix):] if prefix and line.startswith(prefix) else line
