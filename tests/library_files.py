"""Model files as an artist's A1111 / ComfyUI folders hold them, for the library's tests, its
screenshot and the scan benchmark: real safetensors headers with the key layouts of each type
and family (tiny tensors; ``body`` pads a file to a given size as a sparse hole), junk, and
pickles (a torch-free pickle of plain data: never unpickled by what is tested)."""

import pickle
from pathlib import Path

from tiny_models import write_safetensors_header

_UNET = "model.diffusion_model."
_KOHYA_ATTN2 = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k"

# (type, family): (tensors, metadata). Shapes as the real files have them where the family is
# read from them; the few tensors are enough for the header to say what the file is.
HEADERS = {
    ("image", "sd15"): ({_UNET + "input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
                         "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight":
                             ("F16", [16, 8])}, None),
    ("image", "sdxl"): ({_UNET + "input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
                         "conditioner.embedders.1.model.ln_final.weight": ("F16", [8])}, None),
    ("lora", "sd15"): ({f"{_KOHYA_ATTN2}.lora_down.weight": ("F16", [4, 768]),
                        f"{_KOHYA_ATTN2}.lora_up.weight": ("F16", [640, 4])}, {"ss_network_dim": "4"}),
    ("lora", "sdxl"): ({f"{_KOHYA_ATTN2}.lora_down.weight": ("F16", [4, 2048]),
                        "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": ("F16", [4, 768]),
                        "lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": ("F16", [4, 1280])}, None),
    ("vae", "unknown"): ({"encoder.conv_in.weight": ("F16", [128, 3, 3, 3]),
                          "decoder.conv_out.weight": ("F16", [3, 128, 3, 3])}, None),
    ("vae", "sdxl"): ({"encoder.conv_in.weight": ("F16", [128, 3, 3, 3]),
                       "decoder.conv_out.weight": ("F16", [3, 128, 3, 3])},
                      {"modelspec.architecture": "stable-diffusion-xl-v1-base/vae"}),
    ("controlnet", "sd15"): ({"control_model.input_hint_block.0.weight": ("F16", [16, 3, 3, 3]),
                              "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight":
                                  ("F16", [320, 768])}, None),
    ("embedding", "sd15"): ({"emb_params": ("F32", [2, 768])}, None),
}


def write_model(path: Path, kind: str, family: str, body: int = 0) -> Path:
    """A ``kind``/``family`` file (HEADERS) at ``path``, its data padded to at least ``body`` bytes."""
    tensors, metadata = HEADERS[(kind, family)]
    if body:
        tensors = {**tensors, "padding": ("F16", [body // 2])}
    return write_safetensors_header(path, tensors, metadata)


def write_pickle(path: Path, size: int = 0) -> Path:
    """A pickle file as a .ckpt/.pt/.bin holds one (plain data; nothing in it runs), padded to
    ``size`` bytes with a sparse hole when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps({"state_dict": {"weight": [0.0] * 8}}))
    if size:
        with open(path, "r+b") as fh:
            fh.truncate(size)
    return path


# The sizes such files have, for a picture that looks like an artist's library (sparse: no disk used).
# An embedding's file is all vectors, so it is left as it is (a few KB, as real ones are).
_REAL_SIZES = {"image": 2_132_000_000, "lora": 151_100_000, "vae": 334_600_000, "controlnet": 1_445_000_000,
               "embedding": 0}


def write_a1111_library(root: Path, real_sizes: bool = False) -> dict[str, tuple[str, str]]:
    """An A1111 models/ folder and a ComfyUI one under ``root``; {file stem: (type, family)}.
    ``real_sizes``: each file as large as its kind's real ones are (a sparse hole)."""
    a1111, comfy = root / "webui" / "models", root / "ComfyUI" / "models"
    files = {
        a1111 / "Stable-diffusion" / "dreamshaper_8.safetensors": ("image", "sd15"),
        a1111 / "Stable-diffusion" / "juggernautXL_v9.safetensors": ("image", "sdxl"),
        a1111 / "Lora" / "ink_wash_style.safetensors": ("lora", "sd15"),
        a1111 / "Lora" / "watercolor_xl.safetensors": ("lora", "sdxl"),
        a1111 / "VAE" / "vae-ft-mse-840000.safetensors": ("vae", "unknown"),
        comfy / "vae" / "sdxl_vae.safetensors": ("vae", "sdxl"),
        comfy / "controlnet" / "control_v11p_sd15_scribble.safetensors": ("controlnet", "sd15"),
        a1111 / "embeddings" / "easynegative.safetensors": ("embedding", "sd15"),
    }
    listed = {}
    for path, (kind, family) in files.items():
        body = _REAL_SIZES[kind] * (3 if family == "sdxl" and kind == "image" else 1) if real_sizes else 0
        write_model(path, kind, family, body)
        listed[path.stem] = (kind, family)
    write_pickle(a1111 / "Stable-diffusion" / "v1-5-pruned-emaonly.ckpt", 4_265_000_000 if real_sizes else 0)
    listed["v1-5-pruned-emaonly"] = ("image", "unknown")
    return listed
