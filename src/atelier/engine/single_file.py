"""Single-file checkpoints (one ``.safetensors`` as A1111 and ComfyUI keep them): which model
family a file holds, told from its header alone, and the bundled config folder that loading
it offline needs (see resources/model-configs/README.md).

Reads no tensor data and imports no torch: listing hundreds of multi-GB files stays cheap.
"""

import functools
import json
from pathlib import Path

from .. import paths
from ..core.errors import ModelError
from ..core.families import FAMILIES

# The pipeline from_single_file builds for each family Atelier can recognise.
PIPELINES = {family.id: family.checkpoint_pipeline for family in FAMILIES.values() if family.checkpoint_pipeline}

# modelspec.architecture prefixes (Stability AI's ModelSpec) and the family each names.
# Longest first, so "stable-diffusion-xl-v1-refiner" is not taken for "...-xl-v1".
_MODELSPEC = (
    ("stable-diffusion-xl-v1-refiner", "sdxl-refiner"),
    ("stable-diffusion-xl-v1", "sdxl"),
    ("stable-diffusion-v3", "sd3"),
    ("stable-diffusion-v2", "sd2"),
    ("stable-diffusion-v1", "sd15"),
    ("flux-1", "flux"),
)
_UNET = "model.diffusion_model."
_FIRST_CONV = _UNET + "input_blocks.0.0.weight"  # its input channels: 4 plain, 9 inpainting
# Text encoders in the original layouts: they tell the UNet families apart.
_TEXT_ENCODERS = (
    ("conditioner.embedders.1.", "sdxl"),  # CLIP-L + OpenCLIP bigG
    ("conditioner.embedders.0.model.", "sdxl-refiner"),  # OpenCLIP bigG alone
    ("cond_stage_model.model.", "sd2"),  # OpenCLIP ViT-H
    ("cond_stage_model.transformer.", "sd15"),  # OpenAI CLIP ViT-L
)


def family_from_header(header: dict) -> str | None:
    """The family of the checkpoint whose safetensors header this is ("unknown" when it holds a
    diffusion model Atelier does not recognise), or None when it is no checkpoint at all: a
    LoRA, a VAE, an embedding."""
    keys = [key for key in header if key != "__metadata__"]
    # Adapters name their layers after the model they patch, so rule them out first.
    if any("lora" in key.lower() for key in keys):
        return None
    metadata = header.get("__metadata__")
    architecture = metadata.get("modelspec.architecture", "") if isinstance(metadata, dict) else ""
    if not isinstance(architecture, str):
        architecture = ""
    if "/" in architecture:  # "<base>/lora", "<base>/textual-inversion", ...: a part, not a model
        return None
    if any(key.startswith(("joint_blocks.", _UNET + "joint_blocks.")) for key in keys):
        return "sd3"
    if any(key.startswith(("double_blocks.", _UNET + "double_blocks.")) for key in keys):
        return "flux"
    if not any(key.startswith(_UNET) for key in keys):
        return None
    base = _from_modelspec(architecture) or _from_text_encoder(keys)
    if base is None or base in ("sd3", "flux"):
        return "unknown"  # a diffusion model, but not one whose layout is known here
    channels = _input_channels(header.get(_FIRST_CONV))
    if channels == 4:
        return base
    if channels == 9 and base in ("sd15", "sd2", "sdxl"):
        return f"{base}-inpaint"
    return "unknown"  # e.g. instruct-pix2pix (8 channels) or a refiner inpainting model


def single_file_config(family: str) -> Path:
    """The bundled diffusers config folder (no weights) for checkpoints of ``family``."""
    return paths.resource_path("model-configs", family)


def require_config(path: Path, family: str) -> Path:
    """The config folder to load the checkpoint at ``path`` with, or ModelError saying why it
    cannot be loaded."""
    if family == "unknown":
        raise ModelError(
            f"{path}: not a checkpoint type Atelier recognises (SD 1.x, SD 2.x, SDXL); "
            "use the model as a diffusers folder instead"
        )
    config = single_file_config(family)
    if not (config / "model_index.json").is_file():
        raise ModelError(
            f"{path}: {family} single-file checkpoints cannot be loaded yet; "
            "use the model as a diffusers folder instead"
        )
    return config


def load_tokenizers(config: Path) -> dict:
    """The CLIP tokenizers a config folder names ("tokenizer", "tokenizer_2"), built from the one
    shared BPE vocabulary (resources/model-configs/clip-bpe) and each folder's own settings;
    keeping one copy of the 1.5 MB vocabulary instead of seven keeps the app bundle small."""
    from transformers import CLIPTokenizer

    tokenizers = {}
    for name in ("tokenizer", "tokenizer_2"):
        folder = Path(config) / name
        if (folder / "vocab.json").is_file() or (folder / "tokenizer.json").is_file():  # a complete one
            tokenizers[name] = CLIPTokenizer.from_pretrained(folder, local_files_only=True)
        elif (folder / "tokenizer_config.json").is_file():
            settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
            settings.pop("tokenizer_class", None)
            vocab, merges = _clip_bpe(Path(config).parent / "clip-bpe")
            tokenizers[name] = CLIPTokenizer(vocab=dict(vocab), merges=list(merges), **settings)
    return tokenizers


@functools.lru_cache(maxsize=1)
def _clip_bpe(folder: Path) -> tuple[dict, tuple]:
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    lines = (folder / "merges.txt").read_text(encoding="utf-8").splitlines()
    merges = tuple(tuple(line.split()) for line in lines[1:] if line)  # line 0: "#version: 0.2"
    return vocab, merges


def _from_modelspec(architecture: str) -> str | None:
    return next((family for prefix, family in _MODELSPEC if architecture.startswith(prefix)), None)


def _from_text_encoder(keys: list[str]) -> str | None:
    for prefix, family in _TEXT_ENCODERS:
        if any(key.startswith(prefix) for key in keys):
            return family
    return None


def _input_channels(entry) -> int | None:
    shape = entry.get("shape") if isinstance(entry, dict) else None
    if isinstance(shape, list) and len(shape) == 4 and isinstance(shape[1], int):
        return shape[1]
    return None
