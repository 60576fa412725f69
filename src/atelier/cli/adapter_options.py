"""``atelier generate``'s options for what an image uses besides its model: ``--lora``,
``--controlnet``, ``--reference`` and ``--vae``, turned into the request's adapter fields and
the ModelInfos the engine needs. Everything is checked here, before the engine starts or a
project is touched."""

import hashlib
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..core.errors import ModelError, RequestError
from ..core.limits import CONTROL_PREPROCESSORS
from ..models import kinds


def add_arguments(gen) -> None:
    group = gen.add_argument_group("LoRAs, guidance and references (image models)")
    group.add_argument("--lora", action="append", default=[], metavar="FILE_OR_NAME[:WEIGHT]",
                       help="apply a LoRA (a file, an id or a name from 'atelier models --type lora'), weight default "
                            "1; repeat for several. <lora:name:0.8> in the prompt does the same")
    group.add_argument("--controlnet", action="append", default=[], metavar="FILE:IMAGE[:STRENGTH]",
                       help="guide with a ControlNet (a file, folder or id) and a control image (a sketch, edges, "
                            "a depth map, ...), strength default 1; repeat for several")
    group.add_argument("--control-preprocess", choices=CONTROL_PREPROCESSORS, default="none",
                       help="what to make of each control image first: none (use it as it is: a sketch, white lines "
                            "on black), canny (its edges), lineart (its lines), depth (its depth map, made by "
                            "--depth-model), pose (its pose map, made by --pose-model)")
    group.add_argument("--depth-model", metavar="ID_OR_FILE",
                       help="the depth model (Depth Anything or MiDaS .onnx) for --control-preprocess depth "
                            "(default: the one listed)")
    group.add_argument("--pose-model", metavar="ID_OR_FILE",
                       help="the pose model (DWPose's dw-ll_ucoco_384.onnx) for --control-preprocess pose, run on "
                            "a picture of one person, framed (default: the one listed)")
    group.add_argument("--control-start", type=float, default=0.0,
                       help="share of the steps after which guidance begins, 0 to 1 (default 0)")
    group.add_argument("--control-end", type=float, default=1.0,
                       help="share of the steps after which guidance ends, 0 to 1 (default 1)")
    group.add_argument("--reference", action="append", default=[], metavar="IMAGE[:WEIGHT]",
                       help="a reference image whose style and content prompt the picture (IP-Adapter), weight "
                            "default 0.6; repeat for several")
    group.add_argument("--ip-adapter", metavar="FILE_OR_ID",
                       help="the IP-Adapter for --reference (default: the one listed for the model's family)")
    group.add_argument("--image-encoder", metavar="FOLDER_OR_ID",
                       help="the IP-Adapter's image encoder (default: the one listed)")
    group.add_argument("--vae", metavar="FILE_OR_ID", help="a VAE in place of the model's own")


ADAPTER_OPTIONS = ("lora", "controlnet", "reference", "vae")


def adapters_asked(args) -> list[str]:
    """The adapter options given, as typed (``--lora``, ...)."""
    return [f"--{name}" for name in ADAPTER_OPTIONS if getattr(args, name, None)]


@dataclass
class AdapterChoice:
    fields: dict = field(default_factory=dict)  # request fields: loras, controls, references, vae
    models: dict = field(default_factory=dict)  # id -> ModelInfo, the job's extra models
    inputs: dict = field(default_factory=dict)  # asset name -> PNG bytes, stored with the request


def adapter_choice(args, info, folders) -> AdapterChoice:
    """The adapters ``args`` ask for with model ``info``, each part found and checked against
    the model's family. RequestError or ModelError, one line, for anything wrong."""
    from ..core.tasks.adapters import ControlUse, LoraUse, ReferenceUse

    library = _Library(folders)
    choice = AdapterChoice()
    loras = []
    for spec in args.lora:
        name, weight = _split_number(spec, "--lora", 1.0)
        part = library.part(name, kinds.LORA, "--lora", info)
        choice.models[part.id] = part
        loras.append(LoraUse(part.id, weight))
    loras = library.with_prompt_tags(args.prompt or "", loras, info, choice.models)
    controls = []
    detector = ""
    for kind in (kinds.DEPTH, kinds.POSE):  # the preprocesses made by a model of the artist's
        given = getattr(args, f"{kind}_model", None)
        if args.control_preprocess == kind and args.controlnet:
            found = library.part_or_only(given, kind, f"--{kind}-model", None, f"--control-preprocess {kind}")
            choice.models[found.id], detector = found, found.id
        elif given:
            raise RequestError(f"--{kind}-model: is for --control-preprocess {kind} with --controlnet; add those, "
                               "or remove it")
    for spec in args.controlnet:
        rest, strength = _split_number(spec, "--controlnet", 1.0)
        model, sep, image = rest.rpartition(":")
        if not sep or not model or not image:
            raise RequestError(f"--controlnet {spec}: give FILE:IMAGE[:STRENGTH], the ControlNet and its control image")
        part = library.part(model, kinds.CONTROLNET, "--controlnet", info)
        choice.models[part.id] = part
        asset = _image_asset(Path(image), "--controlnet", choice.inputs)
        controls.append(ControlUse(part.id, asset, args.control_preprocess, strength, args.control_start,
                                   args.control_end, detector))
    references = []
    if args.reference:
        adapter = library.part_or_only(args.ip_adapter, kinds.IP_ADAPTER, "--ip-adapter", info)
        encoder = library.part_or_only(args.image_encoder, kinds.IMAGE_ENCODER, "--image-encoder", None)
        choice.models[adapter.id], choice.models[encoder.id] = adapter, encoder
        for spec in args.reference:
            image, weight = _split_number(spec, "--reference", 0.6)
            asset = _image_asset(Path(image), "--reference", choice.inputs)
            references.append(ReferenceUse(adapter.id, encoder.id, asset, weight))
    elif args.ip_adapter or args.image_encoder:
        raise RequestError(f"--{'ip-adapter' if args.ip_adapter else 'image-encoder'}: is for --reference IMAGE; "
                           "add a reference image")
    choice.models.update(library.embeddings((args.prompt or "", args.negative or ""), info))
    choice.fields = {"loras": tuple(loras), "controls": tuple(controls), "references": tuple(references)}
    if args.vae:
        part = library.part(args.vae, kinds.VAE, "--vae", info)
        choice.models[part.id] = part
        choice.fields["vae"] = part.id
    return choice


class _Library:
    """The listed models, scanned once, and the parts found in it."""

    def __init__(self, folders):
        self.folders = folders
        self._scan = None

    def scan(self):
        if self._scan is None:
            from ..engine import registry

            self._scan = registry.scan(self.folders)
            # Pickles are listed for 'atelier models' only: never offered as a part to use.
            self._scan.models = [m for m in self._scan.models if m.format != "pickle"]
        return self._scan

    def part(self, spec: str, kind: str, option: str, model):
        """The part ``spec`` names (a path, an id, or a listed name) of ``kind``, fitting ``model``."""
        from ..engine import registry

        path = Path(spec).expanduser()
        if path.exists():
            # Known by its path: a recipe made again elsewhere finds it there, listed or not.
            found = replace(registry.describe(spec, self.folders), id=str(path.resolve()))
        else:
            listed = [m for m in self.scan().models if m.kind == kind]
            found = next((m for m in listed if m.id == spec), None) or \
                next((m for m in listed if m.name.lower() == spec.lower()), None)
            if found is None:
                raise ModelError(f"{option} {spec}: no {_NOUNS[kind]} with that file, id or name; see "
                                 f"'atelier models --type {kind}', or add its folder ('atelier models add PATH')")
        if found.format == "pickle":
            raise ModelError(f"{option} {spec}: is a pickle, never loaded (it can run code); convert it to "
                             ".safetensors with 'atelier models convert'")
        if found.kind != kind:
            raise ModelError(f"{option} {spec}: is a {found.kind}, not a {_NOUNS[kind]}")
        if found.note and "not supported" in found.note:
            raise ModelError(f"{option} {spec}: {found.note}")
        if model is not None:
            _require_fit(found, model, option)
        return found

    def part_or_only(self, spec: str | None, kind: str, option: str, model, needed_by: str = "--reference"):
        """The part ``spec`` names, or else the one listed part of ``kind`` that fits ``model``
        (``needed_by``: the option that needs it, named when none or several are listed)."""
        if spec:
            return self.part(spec, kind, option, model)
        fitting = [m for m in self.scan().models if m.kind == kind and (model is None or _fits(m, model))]
        if len(fitting) == 1:
            return fitting[0]
        if not fitting:
            raise ModelError(f"{needed_by} needs {_NOUNS[kind]}; put one in your models folder ({_WHERE[kind]}) "
                             f"or give {option}")
        raise RequestError(f"{needed_by}: {len(fitting)} {_NOUNS[kind]}s are listed; choose one with {option} "
                           f"({', '.join(m.id for m in fitting[:4])}{', ...' if len(fitting) > 4 else ''})")

    def with_prompt_tags(self, prompt: str, loras: list, model, models: dict) -> tuple:
        """``loras`` and those the prompt's <lora:name:weight> tags name (a tag's weight wins)."""
        from ..core.lora_tags import lora_tags, loras_for

        if not lora_tags(prompt):
            return tuple(loras)
        listed = {m.id: m for m in self.scan().models if m.kind == kinds.LORA}
        uses = loras_for(prompt, loras, [(m.id, m.name, m.family) for m in listed.values()],
                         how_to_add="'atelier models add PATH'")
        for use in uses:
            if use.model in listed:
                part = listed[use.model]
                _require_fit(part, model, f"<lora:{part.name}>")
                models[part.id] = part
        return uses

    def embeddings(self, prompts, model) -> dict:
        """The listed embeddings of ``model``'s family that ``prompts`` name, by id."""
        from ..core.embedding_names import embeddings_for

        return embeddings_for(prompts, self.scan().models, model.family)


_NOUNS = {kinds.LORA: "LoRA", kinds.CONTROLNET: "ControlNet", kinds.IP_ADAPTER: "IP-Adapter",
          kinds.IMAGE_ENCODER: "image encoder", kinds.VAE: "VAE", kinds.DEPTH: "depth model",
          kinds.POSE: "pose model"}
# Where a part that was not found goes, for the one-line error.
_WHERE = {kinds.IP_ADAPTER: "ComfyUI: models/ipadapter", kinds.IMAGE_ENCODER: "ComfyUI: models/clip_vision",
          kinds.DEPTH: "a Depth Anything or MiDaS .onnx file, such as depth_anything_vits14.onnx",
          kinds.POSE: "DWPose's .onnx pose model, dw-ll_ucoco_384.onnx"}


def _fits(part, model) -> bool:
    from ..core.families import part_fits

    return part_fits(part.family, model.family)


def _require_fit(part, model, option: str) -> None:
    if not _fits(part, model):
        raise ModelError(f"{option} {part.name}: is a {_NOUNS.get(part.kind, part.kind)} for {part.family} models, "
                         f"and {model.id} is a {model.family} model; choose one for {model.family}")


def _split_number(spec: str, option: str, default: float) -> tuple[str, float]:
    """("name", 0.8) from "name:0.8"; ("name", default) from "name"."""
    head, sep, tail = spec.rpartition(":")
    if sep and head:
        try:
            return head, float(tail)
        except ValueError:
            if tail and tail.replace(".", "", 1).lstrip("-").isdigit():
                raise RequestError(f"{option} {spec}: {tail!r} is not a number") from None
    return spec, default


def _image_asset(path: Path, option: str, inputs: dict) -> str:
    """The asset name of the picture at ``path``, its PNG put in ``inputs``."""
    from ..core.init_image import prepare_init_image
    from ..core.project_io import asset_name

    try:
        data = path.expanduser().read_bytes()
    except OSError as exc:
        raise RequestError(f"{option} {path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    prepared = prepare_init_image(data, path.name)
    for note in prepared.notes:
        print(f"atelier: note: {option} {path.name}: {note}", file=sys.stderr)
    name = asset_name(hashlib.sha256(prepared.png).hexdigest(), "png")
    inputs[name] = prepared.png
    return name
