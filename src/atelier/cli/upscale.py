"""``atelier upscale``: a picture made 2 or 4 times larger by an upscaler file (ESRGAN, SwinIR,
...; any that spandrel knows), a diffusers x4 upscale folder, or ``lanczos``, a plain resize
that says it is not AI; optionally refined by an image model's tiled image-to-image pass.

Importing this module costs nothing but argparse: the engine loads when the command runs."""

import hashlib
import sys
from pathlib import Path

from ..settings import DEVICES

# The options that belong to the refine pass, which --refine-model turns on.
REFINE_OPTIONS = {"strength": "--strength", "prompt": "--prompt", "negative": "--negative", "seed": "--seed",
                  "steps": "--steps"}


def add_parser(commands) -> None:
    """Add ``upscale`` to the CLI's subcommands."""
    up = commands.add_parser(
        "upscale", help="make a picture 2 or 4 times larger with an upscaler model (or lanczos, a plain resize)")
    up.add_argument("input", type=Path, metavar="IN", help="the picture (PNG, JPEG or WebP; transparency is kept)")
    up.add_argument("output", type=Path, metavar="OUT", help="the upscaled picture, a .png file")
    up.add_argument("--model", required=True, metavar="FILE_OR_ID|lanczos",
                    help="an upscaler file (.safetensors or .pth), a diffusers x4 upscaler folder, an id from "
                         "'atelier models', or lanczos: a plain resize, not AI")
    up.add_argument("--scale", type=int, default=2, help="how many times larger: 2 or 4 (default 2; up to 8)")
    up.add_argument("--tile", type=int, default=512, help="tile side in pixels the model works on (64-2048, "
                                                          "default 512; halved by itself when memory runs out)")
    up.add_argument("--overlap", type=int, default=32, help="pixels neighbouring tiles share, blended so no seam "
                                                            "shows (default 32, at most a quarter of the tile)")
    refine = up.add_argument_group("refine (a low-strength image-to-image pass over the upscaled picture)")
    refine.add_argument("--refine-model", metavar="M", help="the image model that refines (folder, checkpoint or id)")
    refine.add_argument("--strength", type=float, default=None, help="how much the pass changes, 0 to 1 (default 0.3)")
    refine.add_argument("--prompt", default=None, help="what the picture shows, to steer the pass")
    refine.add_argument("--negative", default=None, help="negative prompt")
    refine.add_argument("--seed", type=int, default=None, help="seed (default: a random one, recorded)")
    refine.add_argument("--steps", type=int, default=None, help="denoising steps (default 20; strength picks the "
                                                                 "share that runs)")
    up.add_argument("--device", choices=DEVICES, default=None,
                    help="default: from settings (auto)")
    up.add_argument("--project", type=Path, help="also add the picture and its result to this .atelier project")


def run(args) -> int:
    from ..core.errors import RequestError
    from ..core.project_io import asset_name
    from ..core.tasks import LANCZOS, UpscaleRequest
    from ..engine.tasks.upscale import LANCZOS_MODEL, check_upscaled_size
    from ..settings import Settings
    from . import _check_project_path, _finish, _output_paths, _printable, run_with_progress

    # 1. Everything cheap first: nothing loads before the arguments are known to be good.
    [target] = _output_paths(args.output, 1)
    if args.project is not None:
        _check_project_path(args.project)
    given = [option for name, option in REFINE_OPTIONS.items() if getattr(args, name) is not None]
    if given and args.refine_model is None:
        raise RequestError(f"{given[0]}: is for the refine pass; add --refine-model M")
    settings = Settings.load()
    info = _upscaler(args.model, settings.model_folders)
    extra_models, refine = {}, {}
    if args.refine_model is not None:
        refine_info = _refine_model(args.refine_model, settings.model_folders)
        extra_models[refine_info.id] = refine_info
        refine = dict(refine=True, refine_model=refine_info.id, prompt=args.prompt or "",
                      negative_prompt=args.negative or "", seed=args.seed,
                      **({"refine_strength": args.strength} if args.strength is not None else {}),
                      **({"steps": args.steps} if args.steps is not None else {}))
    picture = _picture(args.input)
    check_upscaled_size(picture.width, picture.height, args.scale, name=_printable(str(args.input)))
    image = asset_name(hashlib.sha256(picture.png).hexdigest(), "png")
    request = UpscaleRequest(image=image, upscaler=info.id if info is not None else LANCZOS, scale=args.scale,
                             tile=args.tile, overlap=args.overlap, **refine)
    inputs = {image: picture.png}

    from ..core.session import ProjectSession

    session = ProjectSession.open_or_create(args.project) if args.project is not None else None
    try:
        entry = None
        if session is not None:  # the project holds the picture its recipe names
            session.store_input(picture.png, "png")
            entry = session.add_request(request, info if info is not None else LANCZOS_MODEL)

        def store(artifact, say) -> None:
            from ..core.atomic import atomic_write_bytes

            recipe = artifact.recipe
            made = f"upscaled {recipe.request.scale}x with {recipe.model.name}"
            if session is not None:
                session.add_output(entry, "image", artifact.data, artifact.suffix, recipe.to_dict())
                session.save()
                say(f"{session.path}: {made}")
            try:
                atomic_write_bytes(target, artifact.data)
            except OSError as exc:
                raise RequestError(f"{target}: cannot be written ({exc.strerror or exc}); choose another OUT") from exc
            seed = f"  seed {recipe.seed}" if recipe.request.refine else ""
            say(f"{target}  {made}{seed}")

        run_with_progress(info, request, inputs, args.device or settings.device, store, extra_models=extra_models)
    finally:
        if session is not None:
            _finish(session)
    return 0


def _upscaler(spec: str, folders):
    """The upscaler ``--model`` names (None for lanczos); ModelError for anything else."""
    from ..core.errors import ModelError
    from ..core.tasks import LANCZOS
    from ..engine import registry

    if spec.lower() == LANCZOS:
        return None
    path = Path(spec).expanduser()
    info = registry.inspect_upscaler(path) if path.is_file() else registry.resolve(spec, folders)
    if info.kind != "upscaler":
        raise ModelError(f"--model {spec}: is an {info.kind} model, not an upscaler; give an upscaler file "
                         "(.safetensors or .pth), an upscaler id from 'atelier models', or lanczos")
    return info


def _refine_model(spec: str, folders):
    from ..engine import registry
    from ..engine.loader import require_text_to_image

    info = registry.resolve(spec, folders)
    require_text_to_image(info)  # the refine pass is image to image on this model
    return info


def _picture(path: Path):
    """The picture as the project stores it: upright, 8-bit, its transparency kept."""
    from ..core.errors import RequestError
    from ..core.init_image import prepare_init_image
    from . import _printable

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RequestError(f"{path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    prepared = prepare_init_image(data, path.name, keep_alpha=True)
    for note in prepared.notes:
        print(f"atelier: note: {_printable(path.name)}: {note}", file=sys.stderr)
    return prepared
