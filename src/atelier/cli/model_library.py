"""``atelier models info`` (what one model file is, with its hashes as other tools write them),
``atelier models add`` (a folder, or an A1111 / ComfyUI install's model folders, scanned from
then on) and ``atelier models convert`` (a pickle checkpoint rewritten as ``.safetensors``, read
as plain tensors only). The plain ``atelier models`` list stays in cli/__init__.py.

Importing this module costs nothing but argparse: torch loads only when convert runs."""

import argparse
import json
import sys
from pathlib import Path

from ..core.errors import RequestError
from ..settings import Settings

# The kinds ``atelier models --type`` can pick: the registry's, parts used with a checkpoint included.
KINDS = ("image", "audio", "upscaler", "matting", "lora", "controlnet", "ip-adapter", "image-encoder", "vae",
         "embedding", "depth", "pose", "unknown")
# Hashing a file this big takes long enough that a progress line is shown.
_PROGRESS_FROM_BYTES = 256 * 1024 * 1024


def add_actions(models) -> None:
    """Add ``info``, ``add`` and ``convert`` under the ``models`` parser; without one it lists."""
    actions = models.add_subparsers(dest="action", metavar="ACTION", parser_class=type(models))
    info = actions.add_parser("info", help="type, family, size, path and hashes of one model")
    info.add_argument("model", metavar="ID_OR_PATH", help="an id from 'atelier models', or a model file or folder")
    # SUPPRESS: no default of its own, so "models --json info X" keeps the --json given before it.
    info.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    add = actions.add_parser("add", help="scan a folder for models from now on; given an A1111, Forge, ComfyUI or "
                                         "InvokeAI install, its model folders (nothing is copied)")
    add.add_argument("folder", type=Path, metavar="PATH")
    convert = actions.add_parser("convert", help="rewrite a pickle checkpoint (.ckpt, .pt, .pth, .bin) as "
                                                 ".safetensors")
    convert.add_argument("file", type=Path, metavar="FILE")
    convert.add_argument("out", type=Path, metavar="OUT.safetensors")
    convert.add_argument("--trust", action="store_true",
                         help="you trust where FILE came from: it is read as plain tensors only (torch's "
                              "weights_only loader refuses anything that needs code)")


def run(args) -> int:
    if args.action == "info":
        return _info(args)
    if args.action == "add":
        return _add(args)
    return _convert(args)


def _add(args) -> int:
    """The folder (or the install's model folders) joins the settings' model folders, as the
    window's "Add a Models Folder..." and "Use My A1111 / ComfyUI Folder..." do."""
    from ..core.model_sources import find_model_source

    source = find_model_source(args.folder)
    if source.missing:
        raise RequestError(f"{args.folder}: is not a folder; give a folder that holds models, or an A1111 or "
                           "ComfyUI install")
    settings = Settings.load()
    new = [folder for folder in source.folders if str(folder) not in settings.model_folders]
    if new:
        settings.model_folders += [str(folder) for folder in new]
        settings.save()
    print(source.added(new))
    return 0


def _info(args) -> int:
    from ..engine import registry
    from ..models.hashes import file_hashes

    from ..engine.readiness import check

    info = registry.describe(args.model, Settings.load().model_folders)
    details = info.to_dict()
    details.update(readiness=check(info), sha256=None, model_hash=None, lora_hash=None)
    if Path(info.path).is_file():
        hashes = file_hashes(info.path, _progress_line(info) if info.size_bytes >= _PROGRESS_FROM_BYTES else None)
        details.update(sha256=hashes.sha256, model_hash=hashes.model_hash,
                       lora_hash=hashes.lora_hash if info.kind == "lora" else None)
    if args.json:
        print(json.dumps(details, indent=2))
        return 0
    from . import _printable

    for field in ("id", "kind", "family", "note", "readiness", "size_bytes", "path", "sha256", "model_hash",
                  "lora_hash"):
        if details[field] not in (None, ""):
            print(f"{field}: {_printable(str(details[field]))}")
    return 0


def _progress_line(info):
    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\rhashing {info.name}: {done * 100 // max(total, 1)}%", end=end, file=sys.stderr, flush=True)

    return show


def _convert(args) -> int:
    source, out = Path(args.file), Path(args.out)
    if not args.trust:
        raise RequestError(f"{source}: not converted without --trust; --trust says you trust where the file came "
                           "from (it is still read as plain tensors only, never running code in it)")
    from ..engine.pickle_convert import convert_pickle

    converted = convert_pickle(source, out)
    if converted.dropped:
        shown = ", ".join(converted.dropped[:5]) + (", ..." if len(converted.dropped) > 5 else "")
        print(f"atelier: note: left out {len(converted.dropped)} values that are not tensors ({shown})",
              file=sys.stderr)
    print(f"{out}: {converted.tensors} tensors")
    return 0
