"""What a ``.safetensors`` file holds, told from its header's key names and shapes alone:
its type (a checkpoint, or a part used with one: LoRA, ControlNet, IP-Adapter, image encoder,
VAE, embedding) and the family it fits. The family is "unknown" whenever the header does not
say it for sure: a wrong family would make the artist pair a LoRA with a model it cannot patch.

The layouts are those diffusers reads (loaders/lora_conversion_utils.py, single_file_utils.py,
textual_inversion.py, ip_adapter.py) and A1111 and kohya's scripts write. A checkpoint's own
family, inpainting and refiner variants included, is told by engine/single_file.py.
"""

from dataclasses import dataclass
from pathlib import Path

CHECKPOINT = "checkpoint"
LORA = "lora"
CONTROLNET = "controlnet"
IP_ADAPTER = "ip-adapter"
IMAGE_ENCODER = "image-encoder"
VAE = "vae"
EMBEDDING = "embedding"
UPSCALER = "upscaler"
DEPTH = "depth"  # a depth-estimation ONNX model that makes depth maps for ControlNet guidance
POSE = "pose"  # a pose-estimation ONNX model that makes OpenPose pose maps for ControlNet guidance
# The types that are parts used with a checkpoint, never generated with alone.
PARTS = (LORA, CONTROLNET, IP_ADAPTER, IMAGE_ENCODER, VAE, EMBEDDING, DEPTH, POSE)
UNKNOWN = "unknown"
# Depth-estimation ONNX files, told by their names as their exports are published: lower-case
# stem starts ("-" read as "_") and the family each marks.
_DEPTH_PREFIXES = (("depth_anything", "depth-anything"), ("dpt_", "midas"), ("midas", "midas"))
# DWPose's whole-body estimator as ComfyUI and A1111 users keep it (dw-ll_ucoco_384.onnx), read the same way.
_POSE_PREFIXES = (("dw_ll_ucoco", "dwpose"), ("dwpose", "dwpose"))

# Folders where A1111 (models/ESRGAN, RealESRGAN, SwinIR, ...) and ComfyUI (models/upscale_models)
# keep upscaler files: a .pth or a non-checkpoint .safetensors in one is an upscaler.
UPSCALER_FOLDERS = {"esrgan", "realesrgan", "swinir", "hat", "dat", "upscale_models", "upscalers", "upscaler"}
# The folders A1111 (models/Stable-diffusion, Lora, ...) and ComfyUI (models/checkpoints, loras,
# ...) keep each type in, lower-cased: the only hint of what a pickle holds, since it is never opened.
_FOLDER_TYPES = {"stable-diffusion": CHECKPOINT, "checkpoints": CHECKPOINT, "lora": LORA, "loras": LORA,
                 "lycoris": LORA, "vae": VAE, "controlnet": CONTROLNET, "ipadapter": IP_ADAPTER,
                 "clip_vision": IMAGE_ENCODER, "embeddings": EMBEDDING,
                 **{folder: UPSCALER for folder in UPSCALER_FOLDERS}}
_FOLDER_DEPTH = 3  # "Lora/styles/ink/x.pt" is a LoRA; a folder further up says nothing sure

# modelspec.architecture prefixes (Stability AI's ModelSpec, "<base>/<part>") and their family.
# Longest first; the refiner is no base family a part is made for, so it stays unknown.
_MODELSPEC = (
    ("stable-diffusion-xl-v1-refiner", UNKNOWN),
    ("stable-diffusion-xl-v1", "sdxl"),
    ("stable-diffusion-v3", "sd3"),
    ("stable-diffusion-v2", "sd2"),
    ("stable-diffusion-v1", "sd15"),
    ("flux-1", "flux"),
)
# The text width the UNet's cross-attention reads: CLIP ViT-L, OpenCLIP ViT-H, both SDXL encoders.
_CONTEXT_WIDTHS = {768: "sd15", 1024: "sd2", 2048: "sdxl"}
# A token's width in each family's text encoder, for a single-encoder embedding.
_TOKEN_WIDTHS = {768: "sd15", 1024: "sd2"}
_CHECKPOINT_PREFIXES = ("model.diffusion_model.", "joint_blocks.", "double_blocks.")


@dataclass(frozen=True)
class Kind:
    type: str  # one of the constants above, or UNKNOWN: not a model file Atelier knows
    family: str  # "sd15", "sd2", "sdxl", "sd3", "flux" or UNKNOWN
    note: str = ""  # what the artist should know about it: "LoHa/LoKr: not supported"


def depth_family(path: Path) -> str | None:
    """The depth-estimation family ("depth-anything", "midas") an ``.onnx`` file's name says it
    is; None for any other file (a background-removal model, ...)."""
    stem = Path(path).stem.lower().replace("-", "_")
    return next((family for prefix, family in _DEPTH_PREFIXES if stem.startswith(prefix)), None)


def pose_family(path: Path) -> str | None:
    """The pose-estimation family ("dwpose") an ``.onnx`` file's name says it is; None for any
    other file."""
    stem = Path(path).stem.lower().replace("-", "_")
    return next((family for prefix, family in _POSE_PREFIXES if stem.startswith(prefix)), None)


def in_upscaler_folder(path: Path) -> bool:
    return any(part.lower() in UPSCALER_FOLDERS for part in Path(path).parent.parts)


def type_from_folder(path: Path) -> str:
    """The type the A1111 or ComfyUI folder holding ``path`` is for (the nearest one within a
    few levels), or UNKNOWN."""
    for folder in list(reversed(Path(path).parent.parts))[:_FOLDER_DEPTH]:
        if folder.lower() in _FOLDER_TYPES:
            return _FOLDER_TYPES[folder.lower()]
    return UNKNOWN


# Diffusers model classes saved alone as a folder (config.json and weights, no model_index.json)
# that are parts, as the Hub and ComfyUI's models/controlnet hold ControlNets.
_FOLDER_PARTS = {
    "ControlNetModel": (CONTROLNET, ""),
    "ControlNetUnionModel": (CONTROLNET, ""),
}
_UNION_FILE_NOTE = "Union ControlNets load from their diffusers folder"


def folder_kind(config) -> Kind | None:
    """The type and family of a diffusers model folder whose ``config.json`` this is, or None
    when it is no part Atelier knows. A ControlNet's family is told by the text width its
    cross-attention reads, as a UNet's."""
    part = _FOLDER_PARTS.get(config.get("_class_name")) if isinstance(config, dict) else None
    if part is None:
        return None
    width = config.get("cross_attention_dim")
    family = _CONTEXT_WIDTHS.get(width, UNKNOWN) if isinstance(width, int) else UNKNOWN
    if family == UNKNOWN and config.get("addition_embed_type") == "text_time":
        family = "sdxl"  # of the SD families only SDXL embeds the image sizes with the time
    return Kind(part[0], family, part[1])


def kind_of(header: dict, path: Path | None = None) -> Kind:
    """The type and family of the file with this parsed safetensors header (``path`` tells an
    upscaler by its folder, as A1111 and ComfyUI keep them)."""
    keys = [key for key in header if key != "__metadata__"]
    spec_family = _modelspec_family(header.get("__metadata__"))
    if any(_is_lora_key(key) for key in keys):
        note = "LoHa/LoKr: not supported" if any(("hada_w1" in k or "lokr_w1" in k) for k in keys) else ""
        return Kind(LORA, spec_family or _lora_family(header, keys), note)
    if any(key.startswith(_CHECKPOINT_PREFIXES) for key in keys):
        return Kind(CHECKPOINT, spec_family or UNKNOWN)
    if path is not None and in_upscaler_folder(path):
        return Kind(UPSCALER, UNKNOWN)
    if any(key.startswith(("control_model.", "controlnet_cond_embedding.", "input_hint_block.")) for key in keys):
        # A Union ControlNet's task embedding says which kinds of control image it was given.
        note = _UNION_FILE_NOTE if any(key.startswith(("task_embedding", "control_add_embedding.")) for key in keys) else ""
        return Kind(CONTROLNET, spec_family or _context_family(header, keys), note)
    if any(key.startswith("image_proj.") for key in keys) and any(key.startswith("ip_adapter.") for key in keys):
        return Kind(IP_ADAPTER, spec_family or _ip_adapter_family(header, keys))
    if any(key.startswith("vision_model.") for key in keys):
        return Kind(IMAGE_ENCODER, UNKNOWN)  # one encoder serves several families' IP-Adapters
    if "encoder.conv_in.weight" in header and "decoder.conv_out.weight" in header:
        return Kind(VAE, spec_family or UNKNOWN)  # SD and SDXL VAEs have the same shapes
    embedding = _embedding_family(header, keys)
    if embedding is not None:
        return Kind(EMBEDDING, spec_family or embedding)
    return Kind(UNKNOWN, UNKNOWN)


def _is_lora_key(key: str) -> bool:
    return (key.startswith(("lora_unet_", "lora_te_", "lora_te1_", "lora_te2_", "lora_transformer_"))
            or any(marker in key for marker in (".lora_A.", ".lora_B.", ".lora.down.", ".lora.up.",
                                                ".lora_down.", ".lora_up.", ".hada_w1_a", ".lokr_w1")))


def _modelspec_family(metadata) -> str | None:
    architecture = metadata.get("modelspec.architecture") if isinstance(metadata, dict) else None
    if not isinstance(architecture, str):
        return None
    base = architecture.split("/", 1)[0]
    return next((family for prefix, family in _MODELSPEC if base.startswith(prefix)), None)


def _lora_family(header: dict, keys: list[str]) -> str:
    if any(key.startswith(("lora_unet_double_blocks_", "lora_unet_single_blocks_", "lora_transformer_single_"))
           or "single_transformer_blocks." in key for key in keys):
        return "flux"
    if any(key.startswith("lora_unet_joint_blocks_") or "joint_blocks." in key for key in keys):
        return "sd3"
    if any(key.startswith(("lora_te1_", "lora_te2_")) or key.startswith("text_encoder_2.") for key in keys):
        return "sdxl"  # only SDXL has two text encoders patched this way
    return _context_family(header, keys)


def _context_family(header: dict, keys: list[str]) -> str:
    """The family whose cross-attention reads text of the width that the key projection of a
    cross-attention layer (attn2, "to_k") takes in: the last dimension of its weight, or of its
    LoRA down/A matrix."""
    widths = set()
    for key in keys:
        flat = key.replace("_", ".")
        if "attn2.to.k" not in flat or key.endswith("bias"):
            continue
        if "lora" in key and not any(down in key for down in ("lora_down", "lora.down", "lora_A")):
            continue  # an up/B matrix: its shape is the layer's output, not the text width
        shape = _shape(header, key)
        if shape is not None and len(shape) >= 2:
            widths.add(shape[1])
    families = {_CONTEXT_WIDTHS.get(width, UNKNOWN) for width in widths}
    return families.pop() if len(families) == 1 else UNKNOWN


def _ip_adapter_family(header: dict, keys: list[str]) -> str:
    """An IP-Adapter's image tokens come in at the UNet's text width (its to_k_ip layers' input)."""
    widths = {shape[1] for key in keys if key.startswith("ip_adapter.") and key.endswith("to_k_ip.weight")
              for shape in [_shape(header, key)] if shape and len(shape) == 2}
    families = {_CONTEXT_WIDTHS.get(width, UNKNOWN) for width in widths}
    return families.pop() if len(families) == 1 else UNKNOWN


def _embedding_family(header: dict, keys: list[str]) -> str | None:
    """The family of a textual-inversion embedding, UNKNOWN when its width says none, or None
    when the file is no embedding."""
    if "clip_l" in keys and "clip_g" in keys:
        return "sdxl"
    vectors = [key for key in keys if key == "emb_params" or key.startswith("string_to_param")]
    if not vectors or len(vectors) != len(keys):
        return None
    shape = _shape(header, vectors[0])
    return _TOKEN_WIDTHS.get(shape[-1], UNKNOWN) if shape else UNKNOWN


def _shape(header: dict, key: str) -> list[int] | None:
    entry = header.get(key)
    shape = entry.get("shape") if isinstance(entry, dict) else None
    if isinstance(shape, list) and shape and all(isinstance(dim, int) for dim in shape):
        return shape
    return None
