"""ControlNet guidance: the task's pipeline turned into its ControlNet form, and the control
images it is called with.

The ControlNet pipeline is made from the task's with AutoPipeline's ``from_pipe``, so it shares
the model's weights (and keeps their dtype, GUIDE section 8); the task's own pipeline never
holds a ControlNet, so a request without controls runs the bare model. ControlNets are loaded
once per model and kept while requests use them: those of the last request with controls stay
loaded (switching guidance on and off costs nothing), others are dropped to bound memory (an
SD1.5 ControlNet is 0.7-1.4 GB, an SDXL one up to 5 GB).

A control of preprocess "depth" is given the depth map the artist's depth model (engine/depth_maps.py)
makes of its image, one of preprocess "pose" the pose map their pose model (engine/pose_maps.py)
makes; the recipe records that model beside the ControlNet.

A ControlNet comes as a diffusers folder (``config.json`` and safetensors weights) or as one
``.safetensors`` file as A1111 keeps them; a file is built around the config of its family in
resources/controlnet-configs, never one looked up online.

An SDXL Union ControlNet (``ControlNetUnionModel``, xinsir's controlnet-union-sdxl-1.0) comes as a
folder only; one model takes every kind of control image, each with its control mode, through
diffusers' ControlNetUnion pipelines (AutoPipeline's ``from_pipe`` never picks them, GUIDE section 8).
"""

import json
from pathlib import Path

from .. import paths
from ..core.control_images import control_image
from ..core.errors import ModelError
from ..core.families import FAMILIES, base_family, part_fits, takes
from ..core.init_image import rgb_picture
from ..core.limits import DETECTED_PREPROCESSORS
from ..core.recipe import Adapter
from ..models import kinds
from .depth_maps import depth_map
from .fingerprint import model_fingerprint
from .pose_maps import pose_map
from .registry import require_present

_APPLIED_KEY = "controlnets"  # in LoadedModel.applied: {"models": {fingerprint: model}, "pipeline": (key, pipe)}
# The AutoPipeline that turns a task's pipeline into its ControlNet form, and the call argument
# that takes the control image there (the task's own "image" is the init image in the others).
_TEXT_TO_IMAGE = ("AutoPipelineForText2Image", "image")
_IMAGE_TO_IMAGE = ("AutoPipelineForImage2Image", "control_image")
_INPAINTING = ("AutoPipelineForInpainting", "control_image")
# The Union ControlNet form of each task's pipeline, by the AutoPipeline of the plain form.
_UNION_PIPELINES = {"AutoPipelineForText2Image": "StableDiffusionXLControlNetUnionPipeline",
                    "AutoPipelineForImage2Image": "StableDiffusionXLControlNetUnionImg2ImgPipeline",
                    "AutoPipelineForInpainting": "StableDiffusionXLControlNetUnionInpaintPipeline"}
# The control modes of xinsir's controlnet-union-sdxl-1.0 (its model card; diffusers' Union
# examples): 0 openpose, 1 depth, 2 hed/pidi/scribble/ted, 3 canny/lineart/anime lineart/mlsd,
# 4 normal, 5 segment (6 tile, 7 repaint in the promax model). A sketch is a scribble.
_UNION_MODES = {"pose": 0, "depth": 1, "none": 2, "canny": 3, "lineart": 3}
_UNION_CLASS = "ControlNetUnionModel"


def controlnet_config(family: str) -> Path:
    """The bundled config folder single-file ControlNets of ``family`` are loaded with."""
    return paths.resource_path("controlnet-configs", family)


def apply(ctx, loaded, pipe, uses, frame=None):
    """``pipe`` (the task's pipeline, made from ``loaded``) with the ControlNets of ``uses``
    (ControlUse: an id among the job's extra models, an image asset, a preprocess, a strength
    and the share of the steps it acts in), the call arguments that feed them their control
    images, and what the recipe records. With no uses, ``pipe`` as it is.

    The control images are made at the request's size; ``frame`` = ((left, top, right,
    bottom), (width, height)) when the task generates one box of the picture at another size
    (inpainting's context box): each control image is cut to the box and scaled to that size.

    Refuses, before loading anything, a part that is no ControlNet and one for another family
    than the model's; ModelError naming the file when loading fails."""
    if not uses:
        return pipe, {}, []
    parts = [(use, _part(ctx, use.model)) for use in uses]
    for _use, info in parts:
        _refuse(loaded, info)
    union = _union_of(loaded, parts)
    detectors = {use.detector: _detector(ctx, use.detector, use.preprocess) for use in uses
                 if use.preprocess in DETECTED_PREPROCESSORS}
    auto_pipeline, image_argument = _form_of(pipe)
    if union:
        auto_pipeline, image_argument = _UNION_PIPELINES[auto_pipeline], "control_image"
    request = ctx.job.request
    images = [_control_picture(ctx, use, detectors, request.width, request.height, frame) for use, _info in parts]
    fingerprints = []
    for _use, info in parts[:1] if union else parts:  # a Union model is loaded once for all its images
        require_present(info)
        fingerprints.append(model_fingerprint(info.path))
    kept = loaded.applied.setdefault(_APPLIED_KEY, {"models": {}, "pipeline": None})
    stale = set(kept["models"]) - set(fingerprints)
    if stale:  # dropped before the new ones load, so that both are never in memory at once
        kept["pipeline"] = None
        for fingerprint in stale:
            del kept["models"][fingerprint]
    models = []
    for (_use, info), fingerprint in zip(parts, fingerprints):
        if fingerprint not in kept["models"]:
            kept["models"][fingerprint] = _load(loaded, info, union)
        models.append(kept["models"][fingerprint])
    used = fingerprints * len(parts) if union else fingerprints  # a record per control image
    records = [Adapter(kind=kinds.CONTROLNET, name=info.name, fingerprint=fingerprint, weight=float(use.strength),
                       id=use.model, path=str(info.path)) for (use, info), fingerprint in zip(parts, used)]
    records += [Adapter(kind=info.kind, name=info.name, fingerprint=model_fingerprint(info.path), id=detector,
                        path=str(info.path)) for detector, info in detectors.items()]
    controlled = _controlnet_pipeline(loaded, pipe, auto_pipeline, models, fingerprints, kept)
    if union:  # one model: one strength and span (_union_of checked they agree), a mode per image
        first = uses[0]
        return controlled, {"control_image": images, "control_mode": [_UNION_MODES[use.preprocess] for use in uses],
                            "controlnet_conditioning_scale": float(first.strength),
                            "control_guidance_start": float(first.start),
                            "control_guidance_end": float(first.end)}, records
    one = len(parts) == 1

    def each(values):
        return values[0] if one else list(values)

    arguments = {
        image_argument: each(images),
        "controlnet_conditioning_scale": each([float(use.strength) for use in uses]),
        "control_guidance_start": each([float(use.start) for use in uses]),
        "control_guidance_end": each([float(use.end) for use in uses]),
    }
    return controlled, arguments, records


def _part(ctx, model_id: str):
    info = ctx.job.extra_models.get(model_id)
    if info is None:
        raise ModelError(f"ControlNet {model_id}: not among the models handed to the engine; choose one from "
                         "'atelier models --type controlnet'")
    return info


def _detector(ctx, model_id: str, kind: str):
    """The ModelInfo of the ``kind`` ("depth" or "pose") model ``model_id``, which must be among
    the job's extra models."""
    info = ctx.job.extra_models.get(model_id)
    if info is None:
        raise ModelError(f"{kind} model {model_id}: not among the models handed to the engine; choose one from "
                         f"'atelier models --type {kind}'")
    if info.kind != kind:
        raise ModelError(f"{model_id}: is a {info.kind}, not a {kind} model; choose one from "
                         f"'atelier models --type {kind}'")
    require_present(info)
    return info


def _refuse(loaded, info) -> None:
    """The checks that need no loading: the part's type, its family, the model's family."""
    if info.kind != kinds.CONTROLNET:
        raise ModelError(f"{info.id}: is a {info.kind}, not a ControlNet; choose a ControlNet "
                         "(see 'atelier models --type controlnet')")
    if info.note:  # what the registry saw: pickle weights, a Union ControlNet as one file
        raise ModelError(f"{Path(info.path).name}: {info.note}; choose another ControlNet")
    model_family = base_family(loaded.info.family)
    if not takes(model_family, kinds.CONTROLNET):
        # SD3's and Flux's ControlNets have classes of their own, not ControlNetModel.
        families = ", ".join(f.label for f in FAMILIES.values() if kinds.CONTROLNET in f.parts and "-" not in f.id)
        raise ModelError(f"{loaded.info.id}: ControlNets work with {families} models, and it is "
                         f"{loaded.info.family}; choose one of those models, or remove the control")
    if not part_fits(info.family, model_family):
        raise ModelError(f"{Path(info.path).name}: is a ControlNet for {info.family} models, and {loaded.info.id} "
                         f"is {model_family}; choose a {model_family} ControlNet or a {info.family} model")


def _union_of(loaded, parts) -> bool:
    """Whether the ControlNets of ``parts`` are one Union ControlNet (True) or plain ones (False);
    ModelError for what one generation cannot mix."""
    unions = [Path(info.path).is_dir() and _folder_class(Path(info.path)) == _UNION_CLASS for _use, info in parts]
    if not any(unions):
        return False
    if not all(unions):
        raise ModelError("controls: a Union ControlNet and plain ControlNets cannot guide one generation; "
                         "use one kind at a time")
    if base_family(loaded.info.family) != "sdxl":
        raise ModelError(f"{loaded.info.id}: Union ControlNets guide SDXL models only, and it is "
                         f"{loaded.info.family}; choose an SDXL model, or remove the control")
    first = parts[0][0]
    if any(use.model != first.model for use, _info in parts):
        raise ModelError("controls: several Union ControlNets cannot guide one generation; give all the "
                         f"control images to {first.model}")
    if any((use.strength, use.start, use.end) != (first.strength, first.start, first.end) for use, _info in parts):
        raise ModelError(f"controls: the images given to the Union ControlNet {first.model} share one strength, "
                         "start and end; set them the same")
    return True


def _form_of(pipe) -> tuple[str, str]:
    """Which AutoPipeline makes the ControlNet form of ``pipe``, and where its control image goes."""
    name = type(pipe).__name__
    if "Inpaint" in name:
        return _INPAINTING
    if "Img2Img" in name:
        return _IMAGE_TO_IMAGE
    return _TEXT_TO_IMAGE


def _control_picture(ctx, use, detectors: dict, width: int, height: int, frame):
    """The control image of ``use`` for this generation. The asset is read as an init image is
    (the same limits and checks; RequestError naming it when it cannot be used)."""
    from PIL import Image

    picture, _notes = rgb_picture(ctx.input_bytes(use.image), use.image.rsplit("/", 1)[-1])
    if use.preprocess in DETECTED_PREPROCESSORS:
        # Only resized: a depth or pose map is never taken for a dark-on-light sketch and inverted.
        make = depth_map if use.preprocess == "depth" else pose_map
        made = make(detectors[use.detector], picture, ctx.options.device).resize(
            (width, height), Image.Resampling.LANCZOS)
    else:
        made = control_image(picture, use.preprocess, width, height)
    if frame is not None:
        box, size = frame
        made = made.crop(box).resize(size, Image.Resampling.LANCZOS)
    return made


def _load(loaded, info, union: bool = False):
    """The ControlNetModel of ``info`` (a folder or a single file) in the model's dtype, on its
    device; the ControlNetUnionModel of its folder when ``union``."""
    import torch
    from diffusers import ControlNetModel, ControlNetUnionModel

    from .image import quiet_libraries

    path = Path(info.path)
    options = {"dtype": getattr(torch, loaded.dtype), "local_files_only": True}
    try:
        with quiet_libraries():
            if path.is_dir():
                _require_controlnet_folder(path)
                model_class = ControlNetUnionModel if union else ControlNetModel
                model = model_class.from_pretrained(str(path), use_safetensors=True, **options)
            elif path.suffix != ".safetensors":  # other files are pickles, which can run code
                raise ModelError(f"{path}: ControlNets are read from .safetensors files only; convert it "
                                 "with 'atelier models convert'")
            else:
                model = ControlNetModel.from_single_file(str(path), config=str(_config_for(loaded, info)), **options)
            model.to(loaded.device)
    except ModelError:
        raise
    except Exception as exc:  # diffusers raises many types; the artist needs one line
        require_present(info)
        raise ModelError(f"{path}: could not be loaded as a ControlNet for {loaded.info.id} ({_reason(exc)}); "
                         f"check that it is a {base_family(loaded.info.family)} ControlNet, or copy it again") from exc
    model.eval()
    return model


def _folder_class(folder: Path) -> str | None:
    """The diffusers class named by ``folder``'s config.json, or None when it has none."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config.get("_class_name") if isinstance(config, dict) else None


def _require_controlnet_folder(folder: Path) -> None:
    """ModelError unless ``folder`` holds a ControlNetModel or an SDXL ControlNetUnionModel with
    safetensors weights."""
    if not (folder / "config.json").is_file():
        raise ModelError(f"{folder}: no readable config.json, so not a diffusers ControlNet folder; "
                         "copy the ControlNet again")
    class_name = _folder_class(folder)
    if class_name not in ("ControlNetModel", _UNION_CLASS):
        raise ModelError(f"{folder}: is a {class_name or 'model of no known class'}, and only ControlNets "
                         "(ControlNetModel, SD 1.5, SD 2 and SDXL, or an SDXL ControlNetUnionModel) can guide a "
                         "generation; choose another")
    if not any(folder.glob("*.safetensors")):
        raise ModelError(f"{folder}: holds no .safetensors weights (pickle files are never opened: they can run "
                         "code); convert them with 'atelier models convert'")


def _config_for(loaded, info) -> Path:
    family = base_family(info.family) if info.family != kinds.UNKNOWN else base_family(loaded.info.family)
    config = controlnet_config(family)
    if not (config / "config.json").is_file():
        raise ModelError(f"{info.path}: {family} ControlNet files cannot be loaded yet; use it as a diffusers folder")
    return config


def _controlnet_pipeline(loaded, pipe, auto_pipeline: str, models: list, fingerprints: list[str], kept: dict):
    """The ControlNet form of ``pipe``, made again only when the task, the ControlNets or the
    VAE change (a swapped VAE is set on the model's pipelines, not on this one)."""
    key = (id(pipe), id(getattr(pipe, "vae", None)), auto_pipeline, tuple(fingerprints))
    if kept["pipeline"] is not None and kept["pipeline"][0] == key:
        return kept["pipeline"][1]
    import diffusers
    import torch

    options = {"add_watermarker": False} if loaded.info.pipeline.startswith("StableDiffusionXL") else {}
    if auto_pipeline in _UNION_PIPELINES.values():
        # A class's own from_pipe casts the shared modules to float32 in place unless told the dtype.
        options["dtype"] = getattr(torch, loaded.dtype)
    controlnet = models[0] if len(models) == 1 else list(models)  # a list becomes a MultiControlNetModel
    try:
        controlled = getattr(diffusers, auto_pipeline).from_pipe(pipe, controlnet=controlnet, **options)
    except Exception as exc:  # diffusers: no ControlNet pipeline for this model class
        raise ModelError(f"{loaded.info.id}: {type(pipe).__name__} has no ControlNet form ({_reason(exc)}); "
                         "remove the control or choose another model") from exc
    controlled.set_progress_bar_config(disable=True)
    kept["pipeline"] = (key, controlled)
    return controlled


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
