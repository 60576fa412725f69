"""``atelier remove-background``: a picture's subject cut out by a background-removal model (an
ONNX file: U²-Net, ISNet, BiRefNet), on a transparent, solid or blurred background, with the
subject mask written beside it or stored with the output in a project."""

import hashlib
import sys
from pathlib import Path

from ..core.errors import ModelError, RequestError
from ..core.limits import BACKGROUNDS, EDGE_REFINEMENTS
from ..settings import DEVICES


def add_parser(commands) -> None:
    command = commands.add_parser(
        "remove-background", help="cut a picture's subject out with a background-removal model (.onnx)")
    command.add_argument("--model", required=True, metavar="FILE.onnx|ID",
                         help="a background-removal model file (u2net.onnx, isnet-general-use.onnx, "
                              "birefnet-general.onnx, ...) or its id from 'atelier models'")
    command.add_argument("image", type=Path, metavar="IN", help="the picture (PNG, JPEG or WebP)")
    command.add_argument("out", type=Path, metavar="OUT", help="the result, a .png file")
    command.add_argument("--mask-out", type=Path, metavar="MASK.png",
                         help="also write the subject mask (white: subject) to this .png file")
    command.add_argument("--background", choices=BACKGROUNDS, default="transparent",
                         help="what the subject is put on: transparent (default), colour (--colour) or blur "
                              "(the picture blurred)")
    command.add_argument("--colour", metavar="#rrggbb", default=None,
                         help="with --background colour: the colour behind the subject (default #ffffff)")
    command.add_argument("--edges", choices=EDGE_REFINEMENTS, default="none",
                         help="tidy the subject's edge: none (default), guided (follows the picture's edges: "
                              "hair, fur) or erode (pulls it in two pixels: no halo of the old background)")
    command.add_argument("--device", choices=DEVICES, default=None, help="default: from settings (auto)")
    command.add_argument("--project", type=Path, help="also add the request and the output (with its mask) to "
                                                      "this .atelier project")


def run(args) -> int:
    from ..core.atomic import atomic_write_bytes
    from ..core.project_io import asset_name
    from ..core.session import ProjectSession
    from ..core.tasks import RemoveBackgroundRequest
    from ..settings import Settings
    from . import _check_project_path, _finish, run_with_progress

    # Everything cheap is checked before the engine starts or the project is touched.
    if args.colour is not None and args.background != "colour":
        raise RequestError(f"--colour {args.colour}: is for --background colour; add it, or leave --colour out")
    out = _target(args.out, "OUT")
    mask_out = _target(args.mask_out, "--mask-out") if args.mask_out is not None else None
    if mask_out is not None and mask_out.resolve() == out.resolve():
        raise RequestError(f"--mask-out {args.mask_out}: is the same file as OUT; choose another name")
    settings = Settings.load()
    info = resolve_matting(args.model, settings.model_folders)
    picture = _picture(args.image)
    name = asset_name(hashlib.sha256(picture).hexdigest(), "png")
    request = RemoveBackgroundRequest(image=name, background=args.background,
                                      colour=args.colour or "#ffffff", edges=args.edges)
    if args.project is not None:
        _check_project_path(args.project)

    session = ProjectSession.open_or_create(args.project) if args.project is not None else None
    try:
        if session is not None:
            session.store_input(picture, "png")
        entry = session.add_request(request, info) if session is not None else None

        def store(artifact, say) -> None:
            if session is not None:
                session.add_output(entry, "image", artifact.data, artifact.suffix, artifact.recipe.to_dict(),
                                   mask_png=artifact.mask)
                session.save()
                say(f"{session.path}: background removed")
            for path, data, option in ((out, artifact.data, "OUT"), (mask_out, artifact.mask, "--mask-out")):
                if path is None:
                    continue
                try:
                    atomic_write_bytes(path, data)
                except OSError as exc:
                    raise RequestError(f"{path}: cannot be written ({exc.strerror or exc}); choose another "
                                       f"{option}") from exc
                say(str(path))

        run_with_progress(info, request, {name: picture}, args.device or settings.device, store)
    finally:
        if session is not None:
            _finish(session)
    return 0


def resolve_matting(spec: str, extra_folders):
    """The background-removal model ``spec`` names: an .onnx path, or an id from 'atelier
    models'. ModelError, in one line, for anything else that can be told without opening it
    (the engine checks the graph itself)."""
    from ..engine import registry
    from ..engine.matting import known_family

    path = Path(spec).expanduser()
    if path.suffix.lower() == ".onnx" or path.is_file():
        info = registry.inspect_matting(path)
    else:
        info = registry.resolve(spec, extra_folders)
    if info.kind != "matting":
        raise ModelError(f"--model {spec}: is {_article(info.kind)} {info.kind} model, not a background-removal "
                         "one; give a .onnx model such as u2net.onnx")
    known_family(info.path)
    return info


def _target(path: Path, option: str) -> Path:
    """``path``, checked to be a .png file that can be written (the checks of generate's --out)."""
    from . import _output_paths

    try:
        return _output_paths(path, 1)[0]
    except RequestError as exc:  # worded for generate's --out
        raise RequestError(str(exc).replace("--out", option)) from None


def _article(kind: str) -> str:
    return "an" if kind[:1] in "aeiou" else "a"


def _picture(path: Path) -> bytes:
    """The picture as the PNG the job takes (upright, 8-bit, its transparency kept)."""
    from ..core.init_image import prepare_init_image
    from . import _printable

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RequestError(f"{path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    try:
        prepared = prepare_init_image(data, path.name, keep_alpha=True)
    except RequestError as exc:  # worded for an init image: this is the picture to cut out
        raise RequestError(str(exc).replace("init image ", "picture ", 1)) from None
    for note in prepared.notes:
        print(f"atelier: note: {_printable(path.name)}: {note}", file=sys.stderr)
    return prepared.png
