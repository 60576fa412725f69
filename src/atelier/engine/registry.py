"""Find the models already on disk. Reads small JSON files only: never imports torch, never
downloads. A broken folder is reported as a problem, not an exception, so one bad model
cannot hide the others."""

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import paths
from ..core.errors import ModelError

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
}
_IMAGE_FAMILIES = {
    "StableDiffusion3Pipeline": "sd3",
    "StableDiffusion3InpaintPipeline": "sd3-inpaint",
    "FluxPipeline": "flux",
    "FluxFillPipeline": "flux-inpaint",
    "PixArtAlphaPipeline": "pixart",
    "PixArtSigmaPipeline": "pixart",
    "StableDiffusionUpscalePipeline": "sd-upscale",
    "StableDiffusionLatentUpscalePipeline": "sd-upscale",
}
_SEARCH_DEPTH = 3  # root/a/b/c: deep enough for A1111 and ComfyUI layouts, shallow enough to be quick


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    path: Path
    kind: str  # "image" or "audio"
    family: str  # "sd15", "sdxl-inpaint", "audioldm2", ... or "unknown"
    pipeline: str  # diffusers pipeline class name from model_index.json
    size_bytes: int
    source: str  # "models folder", "folder", or "hf cache"

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
        }


@dataclass
class ScanResult:
    models: list[ModelInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per folder that was skipped

    def find(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.models if m.id == model_id), None)


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache, found the way huggingface_hub finds it."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def scan(extra_folders: list[str] | tuple[str, ...] = ()) -> ScanResult:
    """Every model in the user's models folder, the extra folders, and the HF cache."""
    result = ScanResult()
    found: list[tuple[Path, str, str]] = []  # (folder, display name, source)
    for folder in _pipeline_folders(paths.models_dir(), result):
        found.append((folder, folder.name, "models folder"))
    for extra in extra_folders:
        root = Path(extra).expanduser()
        if not root.is_dir():
            result.problems.append(f"{root}: model folder from settings does not exist; remove it in Settings")
            continue
        for folder in _pipeline_folders(root, result):
            found.append((folder, folder.name, "folder"))
    for folder, repo_id in _hf_snapshots(hf_hub_cache()):
        found.append((folder, repo_id, "hf cache"))

    seen_paths: set[Path] = set()
    taken_ids: set[str] = set()
    for folder, name, source in found:
        real = folder.resolve()
        if real in seen_paths:
            continue
        seen_paths.add(real)
        try:
            info = inspect_folder(folder, name=name, source=source)
        except ModelError as exc:
            result.problems.append(str(exc))
            continue
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


def classify(folder: Path, pipeline: str, index: dict) -> tuple[str, str]:
    """(kind, family) from the pipeline class and, where it is ambiguous, the UNet config."""
    if pipeline in _AUDIO_FAMILIES:
        return "audio", _AUDIO_FAMILIES[pipeline]
    if pipeline in _IMAGE_FAMILIES:
        return "image", _IMAGE_FAMILIES[pipeline]
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
    """A model from a folder path or an id listed by ``atelier models``."""
    path = Path(spec).expanduser()
    if path.exists():
        return inspect_folder(path)
    found = scan(extra_folders).find(spec)
    if found is not None:
        return found
    if os.sep in spec or spec.startswith((".", "~")):
        return inspect_folder(path)  # raises: no such folder
    raise ModelError(f"no model {spec!r}: give a model folder path or an id from 'atelier models'")


def weight_files(folder: Path) -> list[Path]:
    """The files that hold a pipeline's weights, in a stable order."""
    suffixes = {".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".gguf"}
    return sorted(p for p in Path(folder).rglob("*") if p.suffix in suffixes and p.is_file())


def _pipeline_folders(root: Path, result: ScanResult):
    """Folders under ``root`` (root included) holding a model_index.json, without descending
    into a model once found."""
    if not root.is_dir():
        return
    pending = [(root, 0)]
    while pending:
        folder, depth = pending.pop()
        if (folder / "model_index.json").is_file():
            yield folder
            continue
        if depth >= _SEARCH_DEPTH:
            continue
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError as exc:
            result.problems.append(f"{folder}: cannot be read ({exc.strerror or exc})")
            continue
        pending.extend((child, depth + 1) for child in reversed(children))


def _hf_snapshots(cache: Path):
    """(snapshot folder, repo id) for each diffusers model in the hub cache."""
    if not cache.is_dir():
        return
    for repo in sorted(cache.glob("models--*")):
        repo_id = repo.name[len("models--"):].replace("--", "/")
        snapshot = _snapshot_for(repo)
        if snapshot is not None and (snapshot / "model_index.json").is_file():
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
