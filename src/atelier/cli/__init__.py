"""Headless commands on the same engine and core as the window.

Exit codes: 0 done, 2 bad arguments, 3 model problem, 4 generation failed, 5 project file
problem, 130 cancelled.
Errors are one line on stderr; ``--debug`` adds the traceback.
"""

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path

from .. import __version__, paths
from ..core.errors import AtelierError, ProjectError, RequestError
from ..core.project_io import SUFFIX
from ..core.schedulers import DEFAULT_SCHEDULER, SCHEDULER_NAMES
from ..core.limits import FILL_MODES
from ..settings import DEVICES, Settings
from . import adapter_options

COMMANDS = ("generate", "models", "project", "audio", "remove-background", "upscale", "install-desktop")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line instead of a usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="atelier", description="Offline images and sound from the models on your disk.")
    parser.add_argument("--version", action="version", version=f"Atelier {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    gen = commands.add_parser(
        "generate", help="make images or sound from a prompt (the model's kind picks the task), from a prompt and an "
                         "init image, or again from a recipe")
    gen.add_argument("--model", help="model folder or an id from 'atelier models' (with --from: default, the one "
                                     "that made it)")
    gen.add_argument("--prompt", help="what to make; for songs, the style (tags such as 'pop, female vocal')")
    gen.add_argument("--negative", default="", help="negative prompt (images, Stable Audio)")
    gen.add_argument("--seed", type=int, default=None, help="seed (default: a random one, recorded)")
    gen.add_argument("--steps", type=int, default=None, help="denoising steps (default: 25 for images; the "
                                                             "model's own for sound)")
    gen.add_argument("--guidance", type=float, default=None, help="CFG scale (default: 7 for images; the model's "
                                                                  "own for sound)")
    gen.add_argument("--size", type=_size, default=None,
                     help="WIDTHxHEIGHT, e.g. 768x512 (default 512x512, or the init image's, capped by the model)")
    gen.add_argument(
        "--scheduler", default=DEFAULT_SCHEDULER, help=f"one of: {', '.join(SCHEDULER_NAMES)}"
    )
    gen.add_argument("--batch", type=int, default=1, help="number of outputs (files get numbered)")
    gen.add_argument("--init-image", type=Path, help="start from this picture (image-to-image)")
    gen.add_argument("--strength", type=float, default=None,
                     help="with --init-image or --init-audio: how much to change it, 0 (not at all) to 1 (entirely); "
                          "default 0.6 for images, 0.5 for sound")
    fill = gen.add_argument_group("generative fill (with --init-image)")
    fill.add_argument("--mask", type=Path, help="repaint where this picture is white (any size: scaled to the image)")
    fill.add_argument("--outpaint", type=_sides, metavar="L,T,R,B",
                      help="extend the picture by these pixels on the left, top, right and bottom, and fill them")
    fill.add_argument("--fill-mode", choices=FILL_MODES, default=None,
                      help="what the painted area starts from: fill (a blur, default), expand (its edges "
                           "continued; the default of --outpaint), add (neutral, for a new object), remove (its "
                           "surroundings), replace (the mask is the subject to keep; everything else, the "
                           "background, is repainted)")
    fill.add_argument("--grow", type=int, default=None, help="pixels the repainted area reaches past the mask "
                                                             "(default: in proportion to the mask)")
    fill.add_argument("--feather", type=int, default=None, help="pixels over which the mask's edge is softened "
                                                                "(default: in proportion to the mask)")
    fill.add_argument("--blend", type=int, default=None,
                      help="pixels inside the mask's edge over which the result fades into the original (default: "
                           "in proportion to the mask, up to 25; 4 with --fill-mode replace)")
    fill.add_argument("--padding", type=int, default=None,
                      help="pixels of the picture around the mask the model sees (less: more detail in a small "
                           "area; more: a better fit with the scene; default: a sixteenth of the picture or half "
                           "the mask, at least 512 px)")
    fill.add_argument("--no-colour-match", dest="colour_match", action="store_false", default=None,
                      help="keep the generated colours as they come (default: shifted to match the surroundings "
                           "at the seam)")
    fill.add_argument("--generation-side", type=int, default=None,
                      help="the side of the square area the masked region is generated at, its aspect kept "
                           "(default: the model's native side, e.g. 512 for SD1.5, 1024 for SDXL)")
    sound = gen.add_argument_group("sound (audio models)")
    sound.add_argument("--seconds", type=float, default=None,
                       help="length of the sound (default 10, songs 60; cut to what the model makes)")
    sound.add_argument("--lyrics", type=Path, help="songs: a text file with the lyrics ([verse], [chorus] sections)")
    sound.add_argument("--bpm", type=int, help="songs: tempo in beats per minute")
    sound.add_argument("--key", help="songs: key, e.g. 'C major'")
    sound.add_argument("--time-signature", help="songs: beats per bar, e.g. 4")
    sound.add_argument("--language", help="songs: the language of the lyrics (en, zh, ja, ...; default en)")
    sound.add_argument("--melody", type=Path, help="music (MusicGen Melody models): a clip whose melody to follow")
    sound.add_argument("--init-audio", type=Path, help="Stable Audio: a sound to start from (default length: its own)")
    adapter_options.add_arguments(gen)
    gen.add_argument("--from", dest="source", metavar="IMAGE.png|PROJECT.atelier:OUTPUT_ID",
                     help="make an output again from its recipe and say whether the pixels are identical")
    gen.add_argument("--device", choices=DEVICES, default=None, help="default: from settings (auto)")
    gen.add_argument("--out", type=Path, help="output file: .png for images; .flac, .wav, .ogg, .opus or .mp3 for "
                                              "sound (needed unless --project is given)")
    gen.add_argument("--project", type=Path, help="add the request and each output to this .atelier project")

    models = commands.add_parser("models", help="list the models found on this machine; info on one; convert a "
                                                "pickle to .safetensors")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    from . import model_library

    models.add_argument("--type", choices=model_library.KINDS, help="list only this kind (lora, vae, image, ...)")
    model_library.add_actions(models)

    from . import audio

    audio.add_parser(commands)

    from . import matting

    matting.add_parser(commands)

    from . import upscale

    upscale.add_parser(commands)

    project = commands.add_parser("project", help="inspect, export or add to a .atelier project")
    actions = project.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    info = actions.add_parser("info", help="format version, entries and outputs")
    info.add_argument("file", type=Path)
    info.add_argument("--json", action="store_true", help="machine-readable output")
    export = actions.add_parser("export", help="write the outputs to a folder, with prompts.csv")
    export.add_argument("file", type=Path)
    export.add_argument("dest", type=Path)
    export.add_argument("--audio-format", choices=("flac", "wav"), default="flac")
    export.add_argument("--include-hidden", action="store_true")
    imports = actions.add_parser("import-image", help="add images made elsewhere, with their prompts")
    imports.add_argument("file", type=Path)
    imports.add_argument("images", type=Path, nargs="+")

    desktop = commands.add_parser("install-desktop", help="add Atelier and .atelier files to this user's desktop (Linux)")
    desktop.add_argument("--uninstall", action="store_true", help="remove what install-desktop added")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "models" and args.action:
            from . import model_library

            return model_library.run(args)
        if args.command == "models":
            return _models(args)
        if args.command == "project":
            return _project(args)
        if args.command == "audio":
            from . import audio

            return audio.run(args)
        if args.command == "remove-background":
            from . import matting

            return matting.run(args)
        if args.command == "upscale":
            from . import upscale

            return upscale.run(args)
        if args.command == "install-desktop":
            return _install_desktop(args)
        build_parser().print_help()
        return 2
    except AtelierError as exc:
        _report(exc, args.debug)
        return exc.exit_code
    except KeyboardInterrupt:
        print("atelier: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line unless --debug
        _report(exc, args.debug, prefix="unexpected error: ")
        if not args.debug:
            print("atelier: run again with --debug for the details", file=sys.stderr)
        return 1


def _report(exc: BaseException, debug: bool, prefix: str = "") -> None:
    if debug:
        traceback.print_exception(exc)
    print(f"atelier: error: {prefix}{exc}", file=sys.stderr)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: write it as WIDTHxHEIGHT, e.g. 512x768") from None
    return width, height


def _sides(text: str) -> tuple[int, int, int, int]:
    try:
        sides = tuple(int(part) for part in text.split(","))
    except ValueError:
        sides = ()
    if len(sides) != 4 or min(sides) < 0 or not any(sides):
        raise argparse.ArgumentTypeError(f"outpaint {text!r}: write the pixels to add as LEFT,TOP,RIGHT,BOTTOM, "
                                         "e.g. 0,0,256,0")
    return sides


def _models(args) -> int:
    from ..engine import registry

    result = registry.scan(Settings.load().model_folders)
    for problem in result.problems:
        print(f"atelier: warning: {_printable(problem)}", file=sys.stderr)
    models = [m for m in result.models if args.type in (None, m.kind)]
    listed = [{**m.to_dict(), **_model_details(m)} for m in models]
    if args.json:
        print(json.dumps(listed, indent=2))
        return 0
    if not models:
        if args.type:
            print(f"No {args.type} models found.", file=sys.stderr)
        else:
            print("No models found. Put diffusers model folders in", paths.models_dir(), file=sys.stderr)
        return 0
    for m, details in zip(models, listed, strict=True):
        # One line per model, one tab between fields, whatever the folder names hold.
        family = details.get("architecture") or m.family
        if details.get("scale"):
            family = f"{family} {details['scale']}x"
        if m.note:
            family = f"{family} ({m.note})"
        fields = (m.id, m.kind, family, f"{m.size_bytes / 1e9:.2f} GB", str(m.path))
        print("\t".join(_printable(field) for field in fields))
    return 0


def _model_details(info) -> dict:
    """What the list adds for an upscaler (its architecture and scale, which spandrel finds when
    the file loads) and a background-removal model (its input side)."""
    if info.kind == "upscaler" and info.format == "single-file":
        from ..engine.upscalers import describe

        try:
            architecture, scale = describe(info.path)
        except AtelierError as exc:
            print(f"atelier: warning: {_printable(str(exc))}", file=sys.stderr)
            return {"architecture": "unreadable", "scale": None}
        return {"architecture": architecture, "scale": scale}
    if info.kind == "upscaler":
        return {"architecture": "Stable Diffusion x4 upscaler", "scale": 4}
    if info.kind == "matting":
        from ..engine.matting_families import BY_NAME

        family = BY_NAME.get(info.family)
        return {"architecture": family.label if family else "unknown", "input_side": family.side if family else None}
    return {}


def _printable(text: str) -> str:
    """``text`` with control characters (tab, newline, escape, ...) written as Python escapes
    (``\\t``, ``\\n``, ``\\x1b``), so a file or folder name cannot add columns or lines to the
    output, or send escape codes to the terminal. Other text, non-Latin names included, is kept."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _install_desktop(args) -> int:
    from .. import desktop

    if not sys.platform.startswith("linux"):
        raise RequestError("install-desktop is for Linux desktops; on Windows and macOS, pin the app to Start or the Dock by hand")
    if args.uninstall:
        removed = desktop.uninstall()
        print(f"Removed {len(removed)} file(s) from {desktop.data_home()}")
    else:
        written = desktop.install()
        print(f"Installed the Atelier launcher, icons and the .atelier file type ({len(written)} files) "
              f"under {desktop.data_home()}")
    return 0


def _generate(args) -> int:
    if args.source is not None:
        from .remake import remake

        return remake(args)
    # 1. Check everything cheap before loading anything heavy.
    for name in ("model", "prompt"):
        if getattr(args, name) is None:
            raise RequestError(f"generate needs --{name} (or --from IMAGE.png to make an output again)")
    if args.out is None and args.project is None:
        raise RequestError("generate needs --out FILE, --project FILE.atelier, or both")
    settings = Settings.load()
    from ..engine import registry

    info = registry.resolve(args.model, settings.model_folders)
    inputs: dict[str, bytes] = {}
    if info.kind == "audio":
        from .sound import sound_request

        if args.mask is not None or args.outpaint is not None:
            raise RequestError(f"--{'mask' if args.mask is not None else 'outpaint'}: is for image models; "
                               f"{args.model} makes sound")
        for option in adapter_options.adapters_asked(args):
            raise RequestError(f"{option}: is for image models; {args.model} makes sound")
        request = sound_request(args, info, inputs)
        extra_models = {}
    else:
        from ..engine.loader import require_inpainting, require_text_to_image

        fill = _fill_asked(args)
        # Here, before the engine starts or the project is touched; an inpainting model only fills.
        (require_inpainting if fill else require_text_to_image)(info)
        _refuse_sound_options(args)
        if fill:
            from .fill import fill_request

            request = fill_request(args, info, inputs)
        else:
            init = _init_image(args.init_image) if args.init_image is not None else None
            request = _request(args, info, init)
            if init is not None:
                inputs[request.init_image] = init.png
        adapters = adapter_options.adapter_choice(args, info, settings.model_folders)
        request = request.replace(**adapters.fields)
        inputs.update(adapters.inputs)
        extra_models = adapters.models
    targets = _output_paths(args.out, request.images, request.kind) if args.out is not None else None
    if args.project is not None:
        _check_project_path(args.project)

    from ..core.session import ProjectSession

    session = ProjectSession.open_or_create(args.project) if args.project is not None else None
    try:
        if session is not None:  # the project holds every input its recipes name
            for name, data in inputs.items():
                session.store_input(data, name.rsplit(".", 1)[-1])
        entry = session.add_request(request, info) if session is not None else None
        noun = "sound" if request.kind == "audio" else "image"

        def store(artifact, say) -> None:
            """Each output is written the moment it exists."""
            recipe = artifact.recipe
            if session is not None:
                session.add_output(entry, request.kind, artifact.data, artifact.suffix, recipe.to_dict(),
                                   peaks=artifact.peaks)
                session.save()
                say(f"{session.path}: {noun} {recipe.batch_index + 1}  seed {recipe.seed}")
            if targets is not None:
                path = targets[recipe.batch_index]
                try:
                    _write_output(path, artifact)
                except OSError as exc:
                    raise RequestError(f"{path}: cannot be written ({exc.strerror or exc}); choose another --out") from exc
                say(f"{path}  seed {recipe.seed}")

        run_with_progress(info, request, inputs, args.device or settings.device, store, extra_models=extra_models)
    finally:
        if session is not None:
            _finish(session)
    return 0


def _write_output(path: Path, artifact) -> None:
    """The artifact's file as it is, or (sound) converted to the format ``path`` names."""
    from ..core.atomic import atomic_write_bytes

    if path.suffix.lower().lstrip(".") == artifact.suffix:
        atomic_write_bytes(path, artifact.data)
        return
    from ..media.audio_file import read_audio, write_audio

    samples, rate = read_audio(artifact.data, path.name)
    write_audio(path, samples, rate)


def _fill_asked(args) -> bool:
    """Whether the arguments ask for generative fill; RequestError for its options used alone."""
    if args.mask is None and args.outpaint is None:
        from .fill import FILL_OPTIONS

        given = [option for name, option in FILL_OPTIONS.items() if getattr(args, name) is not None]
        if given:
            raise RequestError(f"{given[0]}: is for generative fill; add --mask FILE or --outpaint L,T,R,B")
        return False
    return True


def _refuse_sound_options(args) -> None:
    from .sound import SOUND_ONLY

    given = [name for name in SOUND_ONLY if getattr(args, name) is not None]
    if given:
        raise RequestError(f"--{given[0].replace('_', '-')}: is for audio models; {args.model} makes images")


def _init_image(path: Path, keep_alpha: bool = False):
    from ..core.init_image import prepare_init_image

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RequestError(f"--init-image {path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    prepared = prepare_init_image(data, path.name, keep_alpha)
    for note in prepared.notes:
        print(f"atelier: note: --init-image {_printable(path.name)}: {note}", file=sys.stderr)
    return prepared


def _request(args, info, init):
    from ..core import tasks

    # The image tasks' own defaults for what was not given (sound models have theirs).
    given = {name: getattr(args, name) for name in ("steps", "guidance", "strength") if getattr(args, name) is not None}
    values = dict(prompt=args.prompt, negative_prompt=args.negative, seed=args.seed, scheduler=args.scheduler,
                  batch_size=args.batch, **{k: v for k, v in given.items() if k != "strength"})
    if init is None:
        width, height = args.size or (512, 512)
        return tasks.TextToImageRequest(width=width, height=height, **values)
    import hashlib

    from ..core.families import native_side
    from ..core.init_image import fit_size
    from ..core.project_io import asset_name

    width, height = args.size or fit_size(init.width, init.height, native_side(info.family))
    strength = {"strength": given["strength"]} if "strength" in given else {}
    return tasks.ImageToImageRequest(width=width, height=height, **strength,
                                     init_image=asset_name(hashlib.sha256(init.png).hexdigest(), "png"), **values)


def run_with_progress(info, request, inputs: dict, device: str, on_artifact, extra_models=None) -> None:
    """Run one job in the engine process with a progress bar on stderr. Each finished output
    goes to ``on_artifact(artifact, say)`` at once; ``say`` prints a line above the bar.
    ``extra_models``: the job's models besides ``info``, by id (the one that refines an upscale)."""
    from tqdm import tqdm

    from ..engine.events import Artifact, EngineOptions, Progress, Status
    from ..engine.host import EngineHost
    from ..engine.runner import EngineJob

    if info is not None:  # None: a task that needs no model (a Lanczos upscale)
        print(f"Loading {_printable(info.id)} ...", file=sys.stderr)
    bar = tqdm(total=request.steps_per_image * request.images, unit="step", file=sys.stderr, dynamic_ncols=True)

    def say(line: str) -> None:
        bar.write(line, file=sys.stdout)

    def on_event(event) -> None:
        if isinstance(event, Progress):
            bar.total = event.total * event.count  # the engine's count: MusicGen's real tokens a second
            bar.n = event.index * event.total + event.step
            bar.refresh()
        elif isinstance(event, Status) and event.notice:
            bar.write(f"atelier: warning: {event.text}", file=sys.stderr)
        elif isinstance(event, Artifact):
            on_artifact(event, say)

    host = EngineHost()
    try:
        host.run(EngineJob(info, request, inputs, extra_models or {}), EngineOptions(device=device), on_event)
    finally:
        bar.close()
        host.shutdown()


def _finish(session) -> None:
    """Save what is unsaved (even a failed request is worth a record), then drop the working
    folder; if saving fails, keep the folder so the app can recover it."""
    try:
        if session.dirty:
            session.save()
    except ProjectError:
        print(f"atelier: unsaved work kept in {session.folder}; the app offers to recover it", file=sys.stderr)
        raise
    session.close()


def _import_images(project: Path, paths: list[Path]) -> int:
    """Import image files and folders (recursively) into ``project``, with a progress bar on
    stderr, a line per image and the summary. A file that cannot be imported is a warning; when
    nothing could be, the first reason is the error (exit 5) and the project is not touched.
    Ctrl+C stops after the current file: what came in is saved, then it exits 130."""
    import signal

    from ..core.session import ProjectSession

    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        _import_into(ProjectSession.open_or_create(project), paths, lambda: bool(interrupted))
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt
    return 0


def _import_into(session, paths: list[Path], interrupted) -> None:
    from tqdm import tqdm

    from ..core.image_import import ImportRun

    try:
        run = ImportRun(session, paths, cancelled=interrupted)
        if not run.files:
            raise ProjectError(f"{', '.join(map(str, paths))}: no PNG, JPEG or WebP images there")
        added = []
        with tqdm(total=len(run.files), unit="image", file=sys.stderr, dynamic_ncols=True) as bar:
            while not run.finished:
                output = run.import_next()
                if output is not None:
                    added.append((session.project.entries[-1], output))
                bar.update(1)
        summary = run.summary
        if not summary.imported and summary.failures:
            for problem in summary.failures[1:]:
                print(f"atelier: warning: {_printable(problem)}", file=sys.stderr)
            raise ProjectError(summary.failures[0])
    except BaseException:
        session.close()  # nothing came in: the project file is not touched
        raise
    _finish(session)
    for entry, output in added:
        prompt = _printable((output.recipe or {}).get("prompt", "")[:60])
        print(f"imported {_printable(entry.extra.get('imported_from', ''))} as {output.asset}  "
              f"{'prompt: ' + prompt if prompt else '(no recipe found)'}")
        for note in entry.extra.get("import_notes", []):
            print(f"  note: {_printable(note)}")
    for problem in summary.failures:
        print(f"atelier: warning: {_printable(problem)}", file=sys.stderr)
    if len(added) != 1 or summary.total != 1:  # a single image's line says it all
        for line in summary.lines():
            print(_printable(line))


def _project(args) -> int:
    from ..core.project_io import ProjectArchive

    if args.action == "import-image":
        return _import_images(args.file, args.images)

    with ProjectArchive(args.file) as archive:
        project = archive.project
        if args.action == "export":
            from ..core.transfer import export_outputs

            exported = export_outputs(project, archive.read, args.dest, audio_format=args.audio_format,
                                      include_hidden=args.include_hidden)
            table, listing = (path.name for path in exported.listing)
            taken = "" if table == "prompts.csv" else ": files named prompts.csv or prompts.json were there already"
            print(f"exported {len(exported.files)} file(s) to {args.dest} (with {table} and {listing}{taken})")
            for problem in exported.unreadable[1:]:
                print(f"atelier: warning: {problem}", file=sys.stderr)
            if exported.unreadable:
                raise ProjectError(f"{len(exported.unreadable)} output(s) could not be exported; "
                                   f"{exported.unreadable[0]}")
            return 0
        outputs = sum(len(e.outputs) for e in project.entries)
        if args.json:
            summary = {"format_version": archive.format_version, "file": str(archive.path), "created": project.created,
                       "modified": project.modified, "missing_assets": archive.missing_assets,
                       "entries": [e.to_dict() for e in project.entries]}
            print(json.dumps(summary, ensure_ascii=False, indent=2))
            return 0
        print(f"{archive.path}: format {archive.format_version}, {len(project.entries)} entries, {outputs} outputs")
        for number, entry in enumerate(project.entries, start=1):
            print(f"  {number}. {entry.prompt[:70]!r}: {len(entry.outputs)} output(s)")
        for name in archive.missing_assets:
            print(f"  warning: {name} is missing from the file", file=sys.stderr)
        return 0


def _check_project_path(project: Path) -> None:
    """RequestError now, before any loading, if ``--project`` cannot be written where it is."""
    if project.suffix != SUFFIX:
        raise RequestError(f"--project {project}: must be a {SUFFIX} file")
    folder = project.parent if str(project.parent) else Path(".")
    if not folder.is_dir():
        raise RequestError(
            f"--project {project}: folder {folder} does not exist; create it or choose another --project"
        )
    if not os.access(folder, os.W_OK):
        raise RequestError(f"--project {project}: folder {folder} is not writable; choose another --project")


OUTPUT_SUFFIXES = {"image": (".png",), "audio": (".flac", ".wav", ".ogg", ".opus", ".mp3")}


def _output_paths(out: Path, count: int, kind: str = "image") -> list[Path]:
    """``out`` itself for one output; ``name-1.png``, ``name-2.png``, ... for several."""
    suffixes = OUTPUT_SUFFIXES[kind]
    if out.suffix.lower() not in suffixes:
        raise RequestError(f"--out {out}: must be a {' or '.join(suffixes)} file for this model")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise RequestError(f"--out {out}: folder {folder} does not exist; create it or choose another --out")
    if not os.access(folder, os.W_OK):
        raise RequestError(f"--out {out}: not writable; choose another --out")
    if count == 1:
        targets = [out]
    else:
        width = len(str(count))
        targets = [out.with_name(f"{out.stem}-{i:0{width}d}{out.suffix}") for i in range(1, count + 1)]
    # Every file the batch will write, checked now rather than after minutes of loading.
    for target in targets:
        if target.is_dir():
            raise RequestError(f"--out {out}: {target} is a folder; choose a file name")
        if target.exists() and not os.access(target, os.W_OK):
            raise RequestError(f"--out {out}: {target} is not writable; choose another --out")
    return targets
