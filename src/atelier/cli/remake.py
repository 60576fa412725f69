"""``atelier generate --from``: make an output again from its recipe and say whether the pixels
are identical. The recipe comes from an image's metadata or from a project; the model is found
by the recipe's path, then by fingerprint among the models on this machine; inputs (an init
image, a mask) come from the project, or from ``--init-image`` and ``--mask`` for a bare PNG."""

import hashlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ModelError, ProjectError, RequestError
from ..core.project_io import SUFFIX, asset_name
from ..core.recipe import Recipe
from ..settings import Settings


# The input roles a picture on the command line can supply to --from: its option, and its name.
_OPTIONS = {"init_image": ("init_image", "an init image"), "mask": ("mask", "a mask"),
            "image": ("init_image", "a picture")}  # the picture an upscale enlarged


@dataclass(frozen=True)
class Original:
    """The output to make again: its recipe, its bytes, and the inputs it read."""

    label: str
    recipe: Recipe
    data: bytes
    inputs: dict[str, bytes]


def remake(args) -> int:
    from ..core.pixels import compare_pixels
    from . import _output_paths, _printable, run_with_progress

    original = _original(args.source)
    request = original.recipe.to_request()
    inputs = dict(original.inputs)
    for role, name in request.inputs.items():
        given = getattr(args, _OPTIONS[role][0], None) if role in _OPTIONS else None
        if name not in inputs and given is not None:
            inputs[name] = _supplied_input(given, name, role)
    missing = [(role, name) for role, name in request.inputs.items() if name not in inputs]
    if missing:
        role, name = missing[0]
        option, noun = _OPTIONS.get(role, (role, f"its {role.replace('_', ' ')}"))
        raise RequestError(
            f"{original.label} was made from {noun} ({name}) that the image itself does not hold; "
            f"pass that picture with --{option.replace('_', '-')} FILE, or use --from PROJECT.atelier:OUTPUT_ID")
    if args.out is not None:
        _output_paths(args.out, 1)
    if args.project is not None:
        raise RequestError("--from makes an output again to compare it; it adds nothing to --project")
    settings = Settings.load()
    info = _model(args, original.recipe, settings)

    remade = []
    run_with_progress(info, request, inputs, args.device or settings.device,
                      lambda artifact, _say: remade.append(artifact), extra_models=_extra_models(request, original.recipe, info, settings))
    [artifact] = remade
    if args.out is not None:
        from ..core.atomic import atomic_write_bytes

        atomic_write_bytes(args.out, artifact.data)
        print(f"{args.out}  seed {artifact.recipe.seed}")
    print(f"{_printable(original.label)}: {compare_pixels(original.data, artifact.data).describe()}")
    return 0


def _original(source: str) -> Original:
    project, _, output_id = source.rpartition(":")
    if project.endswith(SUFFIX):
        return _from_project(Path(project), output_id)
    return _from_image(Path(source))


def _from_image(path: Path) -> Original:
    from ..core.metadata import read_recipe

    try:
        data = path.read_bytes()
        recipe = read_recipe(io.BytesIO(data))
    except OSError as exc:
        raise RequestError(f"--from {path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    except Exception as exc:  # Pillow: not an image at all
        raise RequestError(f"--from {path}: not an image Atelier can read ({exc}); choose a PNG Atelier made") from exc
    if recipe is None:
        raise RequestError(f"--from {path}: holds no Atelier recipe (made elsewhere, or its metadata was "
                           "stripped); use 'atelier project import-image' to keep its prompt")
    return Original(path.name, recipe, data, {})


def _from_project(path: Path, output_id: str) -> Original:
    from ..core.project_io import ProjectArchive

    if not output_id:
        raise RequestError(f"--from {path}: name the output too, as {path}:OUTPUT_ID "
                           "(ids are in 'atelier project info --json')")
    with ProjectArchive(path) as archive:
        matches = [o for _e, o in archive.project.outputs() if o.id.startswith(output_id)]
        if len(matches) != 1:
            found = "no output" if not matches else f"{len(matches)} outputs"
            raise RequestError(f"--from {path}:{output_id}: {found} with that id; see 'atelier project info --json'")
        [output] = matches
        if not output.recipe:
            raise RequestError(f"--from {path}:{output_id}: this output has no recipe (imported without one)")
        try:
            recipe = Recipe.from_dict(output.recipe)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ProjectError(f"--from {path}:{output_id}: its recipe cannot be read ({exc})") from exc
        inputs = {name: archive.read(name) for name in recipe.inputs.values()}
        return Original(f"{path.name}:{output.id[:8]}", recipe, archive.read(output.asset), inputs)


def _supplied_input(path: Path, wanted: str, role: str) -> bytes:
    """The picture given for input ``wanted``: accepted when it is that very file, or when
    preparing it as the CLI does gives those bytes (a picture chosen from disk)."""
    from ..core.init_image import prepare_init_image
    from ..core.mask_file import prepare_mask

    option = "--" + _OPTIONS[role][0].replace("_", "-")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RequestError(f"{option} {path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    suffix = wanted.rsplit(".", 1)[-1]
    if asset_name(hashlib.sha256(data).hexdigest(), suffix) == wanted:
        return data
    # An init image is stored flat, or with its transparency for generative fill.
    preparations = [lambda: prepare_mask(data, path.name).png] if role == "mask" else \
        [lambda: prepare_init_image(data, path.name).png, lambda: prepare_init_image(data, path.name, True).png]
    for prepare in preparations:
        prepared = prepare()
        if asset_name(hashlib.sha256(prepared).hexdigest(), suffix) == wanted:
            return prepared
    raise RequestError(f"{option} {path}: is not the picture this output was made from ({wanted}); "
                       "find that picture, or use --from PROJECT.atelier:OUTPUT_ID")


def _model(args, recipe: Recipe, settings):
    from ..engine import registry
    from ..engine.fingerprint import model_fingerprint
    from ..engine.recipe_model import find_recipe_model

    if args.model is None and recipe.task == "upscale":
        return _upscaler(recipe.model, settings)
    if args.model is None:
        return find_recipe_model(recipe.model, settings.model_folders)
    info = registry.resolve(args.model, settings.model_folders)
    try:
        same = model_fingerprint(info.path) == recipe.model.fingerprint
    except OSError as exc:
        raise ModelError(f"--model {args.model}: cannot be read ({exc.strerror or exc})") from exc
    if not same:
        print(f"atelier: warning: --model {args.model} is not the model that made this output "
              f"({recipe.model.name}); the pixels will differ", file=sys.stderr)
    return info


def _upscaler(ref, settings):
    """An upscale's model: none for a Lanczos resize; the upscaler file at the recipe's path if
    its weights are the same; else one found by fingerprint among the models here."""
    from ..engine import registry
    from ..engine.fingerprint import model_fingerprint
    from ..engine.recipe_model import find_recipe_model

    if ref.family == "lanczos":
        return None
    path = Path(ref.path)
    if path.is_file() and model_fingerprint(path) == ref.fingerprint:
        return registry.inspect_upscaler(path)
    return find_recipe_model(ref, settings.model_folders)


def _extra_models(request, recipe, info, settings) -> dict:
    """The models a job uses besides its own, by id: an upscale's refine model, LoRAs, ..., each
    the file the recipe's fingerprint names (the one by that id, else any listed part with the
    same weights), and the embeddings its prompts name."""
    from ..engine import registry

    listed = registry.scan(settings.model_folders).models
    found = {}
    if info is not None and info.kind == "image" and hasattr(request, "negative_prompt"):
        from ..core.embedding_names import embeddings_for

        found.update(embeddings_for((request.prompt, request.negative_prompt), listed, info.family))
    recorded = {adapter.id: adapter for adapter in recipe.adapters if adapter.id}
    for model_id in request.extra_model_ids:
        found[model_id] = _recorded_part(model_id, recorded.get(model_id), listed, settings)
    return found


def _recorded_part(model_id: str, adapter, listed, settings):
    """The part ``model_id`` names, with the weights ``adapter`` (its record) says it had."""
    from ..engine import registry
    from ..engine.fingerprint import model_fingerprint

    try:
        named = registry.describe(model_id, settings.model_folders)
    except ModelError:
        named = None
    if adapter is None:  # recorded before parts had ids (an upscale's refine model): by id alone
        if named is None:
            raise ModelError(f"{model_id}, which made this output with its model, is not among the models on this "
                             "machine; put it in a model folder (see 'atelier models')")
        return named
    candidates = ([named] if named is not None else []) + [m for m in listed if m.kind == adapter.kind
                                                            and m.format != "pickle"]
    for candidate in candidates:
        try:
            if model_fingerprint(candidate.path) == adapter.fingerprint:
                return candidate
        except OSError:
            continue
    differs = "the file by that name has other weights; " if named is not None else ""
    raise ModelError(f"{adapter.kind} {adapter.name} ({adapter.fingerprint[:10]}), which made this output, is not "
                     f"among the models on this machine; {differs}put it in a model folder (see 'atelier models')")
