"""Find the models already on disk: diffusers folders and single-file ``.safetensors``
checkpoints. Reads small JSON files and safetensors headers only: never imports torch, never
downloads. A broken folder or file is reported as a problem, not an exception, so one bad
model cannot hide the others."""

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import paths
from ..core.errors import ModelError
from ..models import kinds
from . import safetensors_header, single_file

log = logging.getLogger(__name__)

# Pipelines that make an image from a prompt alone; the spine's text-to-image uses these.
TEXT_TO_IMAGE = {
    "StableDiffusionPipeline",
    "StableDiffusionXLPipeline",
    "StableDiffusion3Pipeline",
    "FluxPipeline",
    "PixArtAlphaPipeline",
    "PixArtSigmaPipeline",
}
_AUDIO_FAMILIES = {
    "AudioLDM2Pipeline": "audioldm2",
    "AudioLDMPipeline": "audioldm",
    "MusicLDMPipeline": "musicldm",
    "StableAudioPipeline": "stable-audio",
    "AceStepPipeline": "ace-step",
}
# Audio models that are transformers folders (config.json, no model_index.json), by model_type.
TRANSFORMERS_AUDIO = {
    "musicgen": ("musicgen", "MusicgenForConditionalGeneration"),
    "musicgen_melody": ("musicgen-melody", "MusicgenMelodyForConditionalGeneration"),
}
_IMAGE_FAMILIES = {
    "StableDiffusion3Pipeline": "sd3",
    "StableDiffusion3InpaintPipeline": "sd3-inpaint",
    "FluxPipeline": "flux",
    "FluxFillPipeline": "flux-inpaint",
    "PixArtAlphaPipeline": "pixart",
    "PixArtSigmaPipeline": "pixart",
    "StableDiffusionLatentUpscalePipeline": "sd-latent-upscale",
}
# Diffusers pipelines that upscale a picture: listed with the upscalers.
_UPSCALER_PIPELINES = {"StableDiffusionUpscalePipeline": "sd-upscale"}
_SEARCH_DEPTH = 3  # root/a/b/c: deep enough for A1111 and ComfyUI layouts, shallow enough to be quick
_CHECKPOINT_SUFFIX = ".safetensors"
_PICKLE_SUFFIXES = {".ckpt", ".pt", ".bin"}  # loading these runs arbitrary code, so Atelier never does
# Upscalers are often shared as .pth: read only as plain tensors (torch.load(weights_only=True));
# elsewhere a .pth is a pickle like the others.
_UPSCALER_PICKLE_SUFFIX = ".pth"
_ONNX_SUFFIX = ".onnx"  # background-removal, depth and pose models, run with onnxruntime
_MODEL_FILE_SUFFIXES = {_CHECKPOINT_SUFFIX, *_PICKLE_SUFFIXES, _UPSCALER_PICKLE_SUFFIX, _ONNX_SUFFIX}
PICKLE_NOTE = "pickle: convert to safetensors to use it"
# Weight files in a diffusers folder's components that are pickles (torch.save), as older
# models and conversions ship them ("diffusion_pytorch_model.bin", "pytorch_model.bin").
_PICKLE_WEIGHT_SUFFIXES = {".bin", ".ckpt", ".pt", ".pth"}


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    path: Path
    # "image", "audio", "upscaler", "matting", or a part used with an image model (kinds.PARTS):
    # "lora", "controlnet", "ip-adapter", "image-encoder", "vae", "embedding", "depth", "pose"; "unknown" for a
    # pickle whose folder does not say
    kind: str
    family: str  # "sd15", "sdxl-inpaint", "audioldm2", "u2net", ... or "unknown"
    pipeline: str  # diffusers pipeline class: from model_index.json, or the one a checkpoint builds
    size_bytes: int
    source: str  # "models folder", "folder", or "hf cache"
    # "diffusers" (a pipeline folder), "transformers" (a model folder: MusicGen) or "single-file"
    # (one .safetensors, an upscaler's .pth, a matting model's .onnx), or "pickle" (listed, never
    # opened, never offered: convert it to .safetensors first)
    format: str = "diffusers"
    note: str = ""  # what the artist should know: "LoHa/LoKr: not supported"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "path": str(self.path),
            "kind": self.kind,
            "family": self.family,
            "pipeline": self.pipeline,
            "size_bytes": self.size_bytes,
            "source": self.source,
            "format": self.format,
            "note": self.note,
        }


@dataclass
class ScanResult:
    models: list[ModelInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per folder or file that was skipped

    def find(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.models if m.id == model_id), None)


def scan(extra_folders: list[str] | tuple[str, ...] = ()) -> ScanResult:
    """Every model in the user's models folder, the extra folders, and the HF cache."""
    result = ScanResult()
    found: list[tuple[Path, str, str]] = []  # (folder or file, display name, source)
    for path in _model_paths(paths.models_dir(), result):
        found.append((path, _display_name(path), "models folder"))
    for extra in extra_folders:
        root = Path(extra).expanduser()
        if not root.is_dir():
            result.problems.append(f"{root}: model folder from settings does not exist; remove it in Settings")
            continue
        for path in _model_paths(root, result):
            found.append((path, _display_name(path), "folder"))
    for folder, repo_id in _hf_snapshots(paths.hf_hub_cache()):
        found.append((folder, repo_id, "hf cache"))
    for root in paths.rembg_dirs():
        found.extend((path, path.stem, "rembg") for path in _model_paths(root, result) if path.suffix == _ONNX_SUFFIX)

    seen_paths: set[Path] = set()
    inspected: list[tuple[ModelInfo, Path]] = []
    for path, name, source in found:
        real = path.resolve()
        if real in seen_paths:
            continue
        seen_paths.add(real)
        try:
            if path.is_dir():
                info = inspect_folder(path, name=name, source=source)
            else:
                info = inspect_file(path, name=name, source=source)
        except ModelError as exc:
            result.problems.append(str(exc))
            continue
        if info is not None:  # None: a .safetensors of no type Atelier knows
            inspected.append((info, real))
    # Models take their ids before the parts (LoRAs, VAEs, ...), and pickles last, so a LoRA named
    # like a checkpoint, or the pickle a checkpoint was converted from, never changes the id
    # settings and recipes know that checkpoint by.
    taken_ids: set[str] = set()
    for info, real in sorted(inspected, key=lambda each: (each[0].format == "pickle", each[0].kind in kinds.PARTS)):
        if info.id in taken_ids:
            # Same folder name in two places: keep both, told apart by a stable path hash.
            suffix = hashlib.sha256(str(real).encode()).hexdigest()[:6]
            info = replace(info, id=f"{info.id}~{suffix}")
        taken_ids.add(info.id)
        result.models.append(info)
    return result


def inspect_folder(folder: Path, *, name: str | None = None, source: str = "folder") -> ModelInfo:
    """Describe one diffusers pipeline folder, or raise ModelError saying what is wrong."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise ModelError(f"{folder}: no such model folder; check the path or run 'atelier models'")
    if not folder.is_dir():
        raise ModelError(f"{folder}: not a folder; give the diffusers model folder that holds model_index.json")
    index_path = folder / "model_index.json"
    if not index_path.is_file() and _transformers_audio_type(folder) is not None:
        return _inspect_transformers_folder(folder, name=name, source=source)
    if not index_path.is_file() and _part_folder_kind(folder) is not None:
        return _inspect_part_folder(folder, name=name, source=source)
    if not index_path.is_file():
        raise ModelError(
            f"{folder}: no model_index.json, so not a diffusers model folder; "
            "give the folder that contains model_index.json"
        )
    index = _read_json(index_path)
    pipeline = index.get("_class_name") if isinstance(index, dict) else None
    if not isinstance(pipeline, str) or not pipeline:
        raise ModelError(f"{index_path}: has no _class_name, so the pipeline type is unknown; copy the model again")
    kind, family = classify(folder, pipeline, index)
    refuse_pickle_weights(folder, index)
    name = name or folder.name
    return ModelInfo(
        id=name,
        name=name.split("/")[-1],
        path=folder,
        kind=kind,
        family=family,
        pipeline=pipeline,
        size_bytes=_size_on_disk(folder),
        source=source,
    )


def _inspect_transformers_folder(folder: Path, *, name: str | None, source: str) -> ModelInfo:
    """A MusicGen folder as transformers saves one: config.json names the model type; the
    weights must be safetensors (a pytorch_model.bin is a pickle, never opened)."""
    family, pipeline = TRANSFORMERS_AUDIO[_transformers_audio_type(folder)]
    files = [p for p in folder.iterdir() if p.is_file()]
    if not any(p.suffix == _CHECKPOINT_SUFFIX for p in files):
        pickles = [p.name for p in files if p.suffix in _PICKLE_WEIGHT_SUFFIXES]
        found = f"only pickle weights ({pickles[0]}), which Atelier never opens (they can run code); convert them " \
                "to .safetensors" if pickles else "no .safetensors weights; copy the model again"
        raise ModelError(f"{folder}: {found}")
    name = name or folder.name
    return ModelInfo(id=name, name=name.split("/")[-1], path=folder, kind="audio", family=family, pipeline=pipeline,
                     size_bytes=_size_on_disk(folder), source=source, format="transformers")


def _inspect_part_folder(folder: Path, *, name: str | None, source: str) -> ModelInfo:
    """A part saved alone as a diffusers model folder (a ControlNet): config.json says what it is."""
    part = _part_folder_kind(folder)
    note = part.note
    if not note and not any(folder.glob("*" + _CHECKPOINT_SUFFIX)):  # listed, never opened
        note = "pickle weights only: convert them to .safetensors to use it"
    name = name or folder.name
    return ModelInfo(id=name, name=name.split("/")[-1], path=folder, kind=part.type, family=part.family,
                     pipeline="", size_bytes=_size_on_disk(folder), source=source, note=note)


def _part_folder_kind(folder: Path) -> kinds.Kind | None:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return kinds.folder_kind(config)


def _transformers_audio_type(folder: Path) -> str | None:
    """The model_type of a transformers audio model folder Atelier runs, or None."""
    path = folder / "config.json"
    if not path.is_file():
        return None
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    model_type = config.get("model_type") if isinstance(config, dict) else None
    return model_type if model_type in TRANSFORMERS_AUDIO else None


def inspect_file(path: Path, *, name: str | None = None, source: str = "folder") -> ModelInfo | None:
    """Describe one single-file model: a checkpoint from its header, a part used with one (a
    LoRA, VAE, embedding, ...: models/kinds.py), an upscaler in an upscaler folder, a
    background-removal ONNX file; None for a file of no type Atelier knows; ModelError saying
    what is wrong otherwise."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelError(f"{path}: no such checkpoint file; check the path or run 'atelier models'")
    if path.suffix == _ONNX_SUFFIX:
        if kinds.depth_family(path) is not None:
            return inspect_depth(path, name=name, source=source)
        if kinds.pose_family(path) is not None:
            return inspect_pose(path, name=name, source=source)
        return inspect_matting(path, name=name, source=source)
    if path.suffix in (_UPSCALER_PICKLE_SUFFIX, _CHECKPOINT_SUFFIX) and kinds.in_upscaler_folder(path):
        return inspect_upscaler(path, name=name, source=source)
    if path.suffix in _PICKLE_SUFFIXES or path.suffix == _UPSCALER_PICKLE_SUFFIX:
        return inspect_pickle(path, name=name, source=source)
    if path.suffix != _CHECKPOINT_SUFFIX:
        raise ModelError(f"{path}: not a model file; give a .safetensors checkpoint or a diffusers model folder")
    header = safetensors_header.check_complete(path)
    family = single_file.family_from_header(header)
    name = name or path.stem
    if family is None:
        part = kinds.kind_of(header, path)
        if part.type not in kinds.PARTS:
            return None
        return ModelInfo(id=name, name=name, path=path, kind=part.type, family=part.family, pipeline="",
                         size_bytes=path.stat().st_size, source=source, format="single-file", note=part.note)
    return ModelInfo(
        id=name,
        name=name,
        path=path,
        kind="image",
        family=family,
        pipeline=single_file.PIPELINES.get(family, ""),
        size_bytes=path.stat().st_size,
        source=source,
        format="single-file",
    )


def inspect_pickle(path: Path, *, name: str | None = None, source: str = "folder") -> ModelInfo:
    """A pickle weights file (.ckpt, .pt, .bin, or a .pth outside an upscaler folder), listed so
    the artist can convert it, and never opened (unpickling can run code): its type is that of
    the A1111 or ComfyUI folder it sits in, else "unknown"; its family is unknown."""
    path = Path(path).expanduser()
    kind = kinds.type_from_folder(path)
    name = name or path.stem
    return ModelInfo(id=name, name=name, path=path, kind="image" if kind == kinds.CHECKPOINT else kind,
                     family=kinds.UNKNOWN, pipeline="", size_bytes=path.stat().st_size, source=source,
                     format="pickle", note=PICKLE_NOTE)


def inspect_upscaler(path: Path, *, name: str | None = None, source: str = "folder") -> ModelInfo:
    """An upscaler file (.safetensors, or a .pth read as plain tensors). Its architecture and
    scale are found when it loads (engine/upscalers.py); a truncated .safetensors is refused here."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelError(f"{path}: no such upscaler file; check the path or run 'atelier models'")
    if path.suffix not in (_CHECKPOINT_SUFFIX, _UPSCALER_PICKLE_SUFFIX):
        raise ModelError(f"{path}: not an upscaler file; give a .safetensors or .pth upscaler (ESRGAN, SwinIR, ...)")
    if path.suffix == _CHECKPOINT_SUFFIX:
        safetensors_header.check_complete(path)
    name = name or path.stem
    return ModelInfo(id=name, name=name, path=path, kind="upscaler", family="unknown", pipeline="",
                     size_bytes=path.stat().st_size, source=source, format="single-file")


def inspect_matting(path: Path, *, name: str | None = None, source: str = "folder") -> ModelInfo:
    """A background-removal model: an ONNX file, its family told by its name (matting_families)."""
    from .matting_families import family_of

    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelError(f"{path}: no such background-removal model; check the path or run 'atelier models'")
    if path.suffix != _ONNX_SUFFIX:
        raise ModelError(f"{path}: not an ONNX file; give a background-removal model such as u2net.onnx")
    name = name or path.stem
    return ModelInfo(id=name, name=name, path=path, kind="matting", family=family_of(path), pipeline="",
                     size_bytes=path.stat().st_size, source=source, format="single-file")


def inspect_depth(path: Path, *, name: str | None = None, source: str = "folder") -> ModelInfo:
    """A depth-estimation model (Depth Anything, MiDaS): an ONNX file its name marks as one
    (kinds.depth_family). Its graph is checked when it is first used (engine/depth_maps.py)."""
    return _inspect_detector(path, kinds.DEPTH, kinds.depth_family(Path(path)), name, source,
                             "a Depth Anything or MiDaS .onnx file (depth_anything_vits14.onnx, dpt_hybrid.onnx, ...)")


def inspect_pose(path: Path, *, name: str | None = None, source: str = "folder") -> ModelInfo:
    """A pose-estimation model (DWPose's whole-body RTMPose): an ONNX file its name marks as one
    (kinds.pose_family). Its graph is checked when it is first used (engine/pose_maps.py)."""
    return _inspect_detector(path, kinds.POSE, kinds.pose_family(Path(path)), name, source,
                             "DWPose's .onnx pose estimator (dw-ll_ucoco_384.onnx)")


def _inspect_detector(path: Path, kind: str, family: str | None, name: str | None, source: str,
                      wanted: str) -> ModelInfo:
    """An ONNX model that reads a picture for guidance (depth, pose), of the family its name says."""
    path = Path(path).expanduser()
    if not path.is_file() or path.suffix != _ONNX_SUFFIX or family is None:
        raise ModelError(f"{path}: not a {kind} model file; give {wanted}")
    name = name or path.stem
    return ModelInfo(id=name, name=name, path=path, kind=kind, family=family, pipeline="",
                     size_bytes=path.stat().st_size, source=source, format="single-file")


def refuse_pickle_weights(folder: Path, index: dict | None = None) -> None:
    """ModelError if a component of the diffusers folder has its weights only as pickle files
    (``.bin``, ``.pt``, ...): unpickling can run code, so Atelier never opens them. Lists a
    few folders and reads ``model_index.json`` (when not given); never opens a weight file."""
    folder = Path(folder)
    if index is None:
        index = _read_json(folder / "model_index.json")
    pickled = []  # (component, one of its pickle files)
    for component, spec in (index.items() if isinstance(index, dict) else ()):
        if component.startswith("_") or not isinstance(spec, list) or None in spec:
            continue  # bookkeeping keys, and components the model leaves out (safety_checker: null)
        try:
            files = sorted(p for p in (folder / component).iterdir() if p.is_file())
        except OSError:
            continue  # missing or unreadable: loading names that problem itself
        pickles = [p for p in files if p.suffix in _PICKLE_WEIGHT_SUFFIXES]
        if pickles and not any(p.suffix == _CHECKPOINT_SUFFIX for p in files):
            pickled.append((component, pickles[0]))
    if pickled:
        names = ", ".join(component for component, _file in pickled)
        example = pickled[0][1].relative_to(folder).as_posix()
        raise ModelError(
            f"{folder}: the weights of {names} are pickle files ({example}), which Atelier never opens "
            "(they can run code); convert them to .safetensors"
        )


def require_present(info: ModelInfo) -> None:
    """ModelError, in one line, if the model's folder or file has gone since it was listed."""
    path = Path(info.path)
    if not (path.is_file() if info.format == "single-file" else path.is_dir()):
        what = "file" if info.format == "single-file" else "folder"
        raise ModelError(
            f"{info.name} is no longer at {path}; restore the {what}, or rescan the models "
            "(restart Atelier or run 'atelier models') and choose another"
        )


def classify(folder: Path, pipeline: str, index: dict) -> tuple[str, str]:
    """(kind, family) from the pipeline class and, where it is ambiguous, the UNet config."""
    if pipeline in _AUDIO_FAMILIES:
        return "audio", _AUDIO_FAMILIES[pipeline]
    if pipeline in _IMAGE_FAMILIES:
        return "image", _IMAGE_FAMILIES[pipeline]
    if pipeline in _UPSCALER_PIPELINES:
        return "upscaler", _UPSCALER_PIPELINES[pipeline]
    if pipeline.startswith("StableDiffusionXL"):
        if pipeline == "StableDiffusionXLImg2ImgPipeline" and index.get("text_encoder") in (None, [None, None]):
            return "image", "sdxl-refiner"
        inpaint = "Inpaint" in pipeline or _unet_in_channels(folder) == 9
        return "image", "sdxl-inpaint" if inpaint else "sdxl"
    if pipeline.startswith("StableDiffusion"):
        unet = _unet_config(folder)
        base = "sd2" if unet.get("cross_attention_dim") == 1024 else "sd15"
        inpaint = "Inpaint" in pipeline or unet.get("in_channels") == 9
        return "image", f"{base}-inpaint" if inpaint else base
    kind = "audio" if ("Audio" in pipeline or "Music" in pipeline) else "image"
    return kind, "unknown"


def resolve(spec: str, extra_folders: list[str] | tuple[str, ...] = ()) -> ModelInfo:
    """A model to run from a folder path, a checkpoint file path, or an id listed by ``atelier
    models``; ModelError for a part used with a checkpoint (a LoRA, VAE, ...)."""
    info = describe(spec, extra_folders)
    if info.format == "pickle":
        raise ModelError(f"{info.path}: pickle checkpoints are not loaded (they can run code); convert it to "
                         ".safetensors ('atelier models convert', or Convert in the Model Library)")
    if info.kind in kinds.PARTS:
        raise ModelError(f"{info.path}: is a {info.kind}, used with a checkpoint, not alone; give a checkpoint "
                         "or a model folder (see 'atelier models --type image')")
    return info


def describe(spec: str, extra_folders: list[str] | tuple[str, ...] = ()) -> ModelInfo:
    """Any listed model, parts included, from its path or its id in ``atelier models``."""
    path = Path(spec).expanduser()
    if path.exists():
        return _inspect_path(path)
    found = scan(extra_folders).find(spec)
    if found is not None:
        return found
    if os.sep in spec or spec.startswith((".", "~")) or path.suffix in _MODEL_FILE_SUFFIXES:
        return _inspect_path(path)  # raises: no such folder or file
    raise ModelError(f"no model {spec!r}: give a model folder or checkpoint path, or an id from 'atelier models'")


def _inspect_path(path: Path) -> ModelInfo:
    if path.is_dir() or path.suffix not in _MODEL_FILE_SUFFIXES:
        return inspect_folder(path)
    info = inspect_file(path)
    if info is None:
        raise ModelError(f"{path}: holds no diffusion model, nor a part Atelier knows (a LoRA, VAE, ...); "
                         "give a checkpoint")
    return info


def weight_files(path: Path) -> list[Path]:
    """The files that hold a model's weights, in a stable order: a checkpoint is its own."""
    path = Path(path)
    if path.is_file():
        return [path]
    suffixes = {".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".gguf"}
    return sorted(p for p in path.rglob("*") if p.suffix in suffixes and p.is_file())


def _model_paths(root: Path, result: ScanResult):
    """Under ``root`` (root included): folders holding a model_index.json, without descending
    into a model once found, and checkpoint files in the folders searched.

    Each real folder is searched once, so a symlink loop ("loop -> ..") is never descended and
    a model reached through two links is found once. Linked folders are searched after all the
    plain ones, so a model is named by its plain path where it has one."""
    if not root.is_dir():
        return
    visited: set[Path] = set()
    pending = [(root, 0)]
    linked: list[tuple[Path, int]] = []  # symlinked folders, searched once the plain ones are done
    while pending or linked:
        if not pending:
            pending.append(linked.pop(0))
        folder, depth = pending.pop()
        real = _real_path(folder)
        if real is None or real in visited:
            continue
        visited.add(real)
        if ((folder / "model_index.json").is_file() or _transformers_audio_type(folder) is not None
                or _part_folder_kind(folder) is not None):
            yield folder
            continue
        try:
            entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
            children = [p for p in entries if p.is_dir()]
            files = [p for p in entries if p.suffix in _MODEL_FILE_SUFFIXES and p.is_file()]
            dangling = [p for p in entries if p.suffix in _MODEL_FILE_SUFFIXES and not p.exists()]
        except OSError as exc:
            result.problems.append(f"{folder}: cannot be read ({exc.strerror or exc})")
            continue
        result.problems.extend(f"{link}: a link that leads nowhere (or back to itself); fix or remove it"
                               for link in dangling)
        yield from files
        if depth < _SEARCH_DEPTH:
            pending.extend((child, depth + 1) for child in reversed(children) if not child.is_symlink())
            linked.extend((child, depth + 1) for child in children if child.is_symlink())


def _real_path(path: Path) -> Path | None:
    """``path`` with every symlink resolved; None for a link that cannot be resolved (a loop)."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: "Symlink loop" on Python < 3.13
        return None


def _display_name(path: Path) -> str:
    return path.name if path.is_dir() else path.stem


def _hf_snapshots(cache: Path):
    """(snapshot folder, repo id) for each diffusers model in the hub cache."""
    if not cache.is_dir():
        return
    for repo in sorted(cache.glob("models--*")):
        repo_id = repo.name[len("models--"):].replace("--", "/")
        snapshot = _snapshot_for(repo)
        if snapshot is not None and ((snapshot / "model_index.json").is_file()
                                     or _transformers_audio_type(snapshot) is not None
                                     or _part_folder_kind(snapshot) is not None):
            yield snapshot, repo_id


def _snapshot_for(repo: Path) -> Path | None:
    ref = repo / "refs" / "main"
    try:
        commit = ref.read_text(encoding="ascii").strip()
        snapshot = repo / "snapshots" / commit
        if snapshot.is_dir():
            return snapshot
    except (OSError, UnicodeDecodeError):
        pass
    # No refs/main (e.g. fetched by revision): take the most recently written snapshot.
    snapshots = [p for p in (repo / "snapshots").glob("*") if p.is_dir()]
    return max(snapshots, key=lambda p: p.stat().st_mtime, default=None)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise ModelError(f"{path}: is not valid JSON ({exc}); copy the model again") from exc


def _unet_config(folder: Path) -> dict:
    try:
        config = json.loads((folder / "unet" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _unet_in_channels(folder: Path):
    return _unet_config(folder).get("in_channels")


def _size_on_disk(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size  # follows HF cache symlinks
            except OSError:
                pass
    return total
