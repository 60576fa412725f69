"""Write resources/model-configs/<family>/: the diffusers-format configs (no weights) that
``from_single_file`` needs to build a pipeline around a single-file checkpoint offline.

The values are those of the published diffusers repositories for each family (SD 1.5,
SD 1.5 inpainting, SD 2.1 768-v, SDXL base 1.0, SDXL inpainting 0.1). The CLIP tokenizer is
built from OpenAI's BPE file, which ships inside the open_clip_torch wheel:

    pip download open_clip_torch --no-deps -d /tmp/oc
    .venv/bin/python scripts/make_model_configs.py /tmp/oc/open_clip_torch-*.whl

Each model is then built on the meta device (no memory, no weights) to check that the configs
describe the published architectures: their parameter counts must be the known ones.
"""

import argparse
import gzip
import json
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from atelier.engine.single_file import load_tokenizers  # noqa: E402

OUT = ROOT / "resources" / "model-configs"
BPE_MEMBER = "open_clip/bpe_simple_vocab_16e6.txt.gz"
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
VOCAB_SIZE = 49408
MERGES = VOCAB_SIZE - 2 * 256 - 2  # the vocabulary is bytes, bytes+</w>, merges, BOS, EOS

# The noise schedule all these families were trained with.
SD_BETAS = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
            "num_train_timesteps": 1000, "trained_betas": None}

CLIP_L = {  # OpenAI CLIP ViT-L/14 text tower (SD 1.x, SDXL's first encoder)
    "architectures": ["CLIPTextModel"], "model_type": "clip_text_model",
    "hidden_act": "quick_gelu", "hidden_size": 768, "intermediate_size": 3072,
    "num_attention_heads": 12, "num_hidden_layers": 12, "projection_dim": 768,
}
OPENCLIP_H = {  # OpenCLIP ViT-H/14 text tower; SD 2 uses the penultimate layer, so 23 of 24
    "architectures": ["CLIPTextModel"], "model_type": "clip_text_model",
    "hidden_act": "gelu", "hidden_size": 1024, "intermediate_size": 4096,
    "num_attention_heads": 16, "num_hidden_layers": 23, "projection_dim": 512,
}
OPENCLIP_BIGG = {  # OpenCLIP ViT-bigG/14 text tower with its projection (SDXL's second encoder)
    "architectures": ["CLIPTextModelWithProjection"], "model_type": "clip_text_model",
    "hidden_act": "gelu", "hidden_size": 1280, "intermediate_size": 5120,
    "num_attention_heads": 20, "num_hidden_layers": 32, "projection_dim": 1280,
}
CLIP_COMMON = {
    "attention_dropout": 0.0, "dropout": 0.0, "initializer_factor": 1.0, "initializer_range": 0.02,
    "layer_norm_eps": 1e-05, "max_position_embeddings": 77, "vocab_size": VOCAB_SIZE,
    # The published (pre-2023) ids: eos 2 makes transformers pool at the highest token id,
    # which is CLIP's end token, exactly as the models were trained.
    "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "torch_dtype": "float32",
}

UNET_SD = {
    "_class_name": "UNet2DConditionModel", "act_fn": "silu", "attention_head_dim": 8,
    "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": False,
    "cross_attention_dim": 768,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4,
    "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32,
    "out_channels": 4, "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}
UNET_SD2 = {**UNET_SD, "attention_head_dim": [5, 10, 20, 20], "cross_attention_dim": 1024,
            "dual_cross_attention": False, "sample_size": 96, "upcast_attention": True,
            "use_linear_projection": True}
UNET_SDXL = {
    "_class_name": "UNet2DConditionModel", "act_fn": "silu", "addition_embed_type": "text_time",
    "addition_embed_type_num_heads": 64, "addition_time_embed_dim": 256,
    "attention_head_dim": [5, 10, 20], "block_out_channels": [320, 640, 1280],
    "center_input_sample": False, "class_embed_type": None, "class_embeddings_concat": False,
    "conv_in_kernel": 3, "conv_out_kernel": 3, "cross_attention_dim": 2048,
    "cross_attention_norm": None,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "downsample_padding": 1, "dual_cross_attention": False, "encoder_hid_dim": None,
    "encoder_hid_dim_type": None, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4,
    "layers_per_block": 2, "mid_block_only_cross_attention": None, "mid_block_scale_factor": 1,
    "mid_block_type": "UNetMidBlock2DCrossAttn", "norm_eps": 1e-05, "norm_num_groups": 32,
    "num_attention_heads": None, "num_class_embeds": None, "only_cross_attention": False,
    "out_channels": 4,
    # 6 size/crop numbers x addition_time_embed_dim + the second encoder's 1280 pooled output.
    "projection_class_embeddings_input_dim": 2816,
    "resnet_out_scale_factor": 1.0, "resnet_skip_time_act": False,
    "resnet_time_scale_shift": "default", "sample_size": 128, "time_cond_proj_dim": None,
    "time_embedding_act_fn": None, "time_embedding_dim": None, "time_embedding_type": "positional",
    "timestep_post_act": None, "transformer_layers_per_block": [1, 2, 10],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "upcast_attention": False, "use_linear_projection": True,
}
VAE = {
    "_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4, "in_channels": 3, "latent_channels": 4,
    "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3, "sample_size": 512,
    "scaling_factor": 0.18215, "up_block_types": ["UpDecoderBlock2D"] * 4,
}
VAE_SDXL = {**VAE, "force_upcast": True, "sample_size": 1024, "scaling_factor": 0.13025}

PNDM = {"_class_name": "PNDMScheduler", **SD_BETAS, "clip_sample": False, "set_alpha_to_one": False,
        "skip_prk_steps": True, "steps_offset": 1}
DDIM = {"_class_name": "DDIMScheduler", **SD_BETAS, "clip_sample": False, "set_alpha_to_one": False,
        "skip_prk_steps": True, "steps_offset": 1}
EULER_XL = {"_class_name": "EulerDiscreteScheduler", **SD_BETAS, "clip_sample": False,
            "interpolation_type": "linear", "prediction_type": "epsilon", "sample_max_value": 1.0,
            "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
            "timestep_spacing": "leading", "use_karras_sigmas": False}

# No safety checker or image encoder: Atelier loads neither (see engine/loader.py).
NO_SAFETY = {"feature_extractor": [None, None], "image_encoder": [None, None],
             "requires_safety_checker": False, "safety_checker": [None, None]}
SD_COMPONENTS = {"scheduler": None, "text_encoder": ["transformers", "CLIPTextModel"],
                 "tokenizer": ["transformers", "CLIPTokenizer"],
                 "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]}
XL_COMPONENTS = {**SD_COMPONENTS, "feature_extractor": [None, None], "force_zeros_for_empty_prompt": True,
                 "image_encoder": [None, None],
                 "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
                 "tokenizer_2": ["transformers", "CLIPTokenizer"]}

FAMILIES = {
    "sd15": {
        "pipeline": "StableDiffusionPipeline", "index": {**SD_COMPONENTS, **NO_SAFETY},
        "scheduler": PNDM, "unet": UNET_SD, "vae": VAE,
        "text_encoder": CLIP_L, "tokenizer_pad": EOS,
    },
    "sd15-inpaint": {
        "pipeline": "StableDiffusionInpaintPipeline", "index": {**SD_COMPONENTS, **NO_SAFETY},
        # Image latents (4) + mask (1) + masked-image latents (4).
        "scheduler": DDIM, "unet": {**UNET_SD, "in_channels": 9}, "vae": VAE,
        "text_encoder": CLIP_L, "tokenizer_pad": EOS,
    },
    "sd2": {  # SD 2.x at 768 px, trained for v-prediction
        "pipeline": "StableDiffusionPipeline", "index": {**SD_COMPONENTS, **NO_SAFETY},
        "scheduler": {**DDIM, "prediction_type": "v_prediction"}, "unet": UNET_SD2,
        "vae": {**VAE, "sample_size": 768}, "text_encoder": OPENCLIP_H, "tokenizer_pad": "!",
    },
    "sdxl": {
        "pipeline": "StableDiffusionXLPipeline", "index": XL_COMPONENTS,
        "scheduler": EULER_XL, "unet": UNET_SDXL, "vae": VAE_SDXL,
        "text_encoder": CLIP_L, "tokenizer_pad": EOS,
        "text_encoder_2": OPENCLIP_BIGG, "tokenizer_2_pad": "!",
    },
    "sdxl-inpaint": {
        "pipeline": "StableDiffusionXLInpaintPipeline",
        "index": {**XL_COMPONENTS, "requires_aesthetics_score": False},
        "scheduler": EULER_XL, "unet": {**UNET_SDXL, "in_channels": 9}, "vae": VAE_SDXL,
        "text_encoder": CLIP_L, "tokenizer_pad": EOS,
        "text_encoder_2": OPENCLIP_BIGG, "tokenizer_2_pad": "!",
    },
}

# Parameter counts of the published models, to check the configs against.
EXPECTED_PARAMETERS = {
    "unet": {"sd15": 859_520_964, "sd15-inpaint": 859_535_364, "sd2": 865_910_724,
             "sdxl": 2_567_463_684, "sdxl-inpaint": 2_567_478_084},
    "vae": 83_653_863,
    # by hidden size: CLIP ViT-L/14, OpenCLIP ViT-H/14 (23 layers), ViT-bigG/14 with projection
    "text_encoder": {768: 123_060_480, 1024: 340_387_840, 1280: 694_659_840},
}


def byte_chars() -> list[str]:
    """CLIP's 256 printable stand-ins for bytes, in vocabulary order ("!" first, id 0)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + i) for i in range(len(others))]


def read_bpe(source: Path) -> list[tuple[str, str]]:
    """The merges from OpenAI's BPE file, given the file itself or the wheel holding it."""
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            data = gzip.decompress(wheel.read(BPE_MEMBER))
    else:
        data = gzip.decompress(source.read_bytes())
    lines = data.decode("utf-8").split("\n")
    # Line 0 is a version header; CLIP uses the first MERGES merges that follow.
    return [tuple(line.split()) for line in lines[1:1 + MERGES]]


def clip_vocab(merges: list[tuple[str, str]]) -> dict[str, int]:
    chars = byte_chars()
    tokens = [*chars, *(c + "</w>" for c in chars), *("".join(m) for m in merges), BOS, EOS]
    return {token: i for i, token in enumerate(tokens)}


def write_bpe(folder: Path, vocab: dict, merges: list) -> None:
    # vocab.json + merges.txt, as the published repos have them, once for every family (1.5 MB):
    # atelier.engine.single_file builds each family's tokenizers from them.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges), encoding="utf-8")


def write_tokenizer(folder: Path, pad: str) -> None:
    folder.mkdir(parents=True)
    special = {"bos_token": BOS, "eos_token": EOS, "pad_token": pad, "unk_token": EOS}
    write_json(folder / "special_tokens_map.json", special)
    write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "do_lower_case": True,
        "errors": "replace", "add_prefix_space": False, **special,
    })


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_family(folder: Path, spec: dict, diffusers_version: str) -> None:
    version = {"_diffusers_version": diffusers_version}
    index = {"_class_name": spec["pipeline"], **version, **spec["index"],
             "scheduler": ["diffusers", spec["scheduler"]["_class_name"]]}
    write_json(folder / "model_index.json", index)
    write_json(folder / "scheduler" / "scheduler_config.json", {**spec["scheduler"], **version})
    write_json(folder / "unet" / "config.json", {**spec["unet"], **version})
    write_json(folder / "vae" / "config.json", {**spec["vae"], **version})
    write_json(folder / "text_encoder" / "config.json", {**spec["text_encoder"], **CLIP_COMMON})
    write_tokenizer(folder / "tokenizer", spec["tokenizer_pad"])
    if "text_encoder_2" in spec:
        write_json(folder / "text_encoder_2" / "config.json", {**spec["text_encoder_2"], **CLIP_COMMON})
        write_tokenizer(folder / "tokenizer_2", spec["tokenizer_2_pad"])


def check_family(folder: Path, family: str) -> None:
    """Build every component on the meta device and compare with the published sizes."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    def count(model) -> int:
        return sum(p.numel() for p in model.parameters())

    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae"))
        assert count(unet) == EXPECTED_PARAMETERS["unet"][family], (family, count(unet))
        assert count(vae) == EXPECTED_PARAMETERS["vae"], (family, count(vae))
        for name in ("text_encoder", "text_encoder_2"):
            if not (folder / name).is_dir():
                continue
            config = CLIPTextConfig.from_pretrained(folder / name)
            cls = CLIPTextModelWithProjection if name == "text_encoder_2" else CLIPTextModel
            expected = EXPECTED_PARAMETERS["text_encoder"][config.hidden_size]
            assert count(cls(config)) == expected, (family, name, count(cls(config)))
    for name, tokenizer in load_tokenizers(folder).items():
        ids = tokenizer("a photo of a cat").input_ids
        assert ids == [49406, 320, 1125, 539, 320, 2368, 49407], (family, name, ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bpe", type=Path, help="open_clip_torch wheel, or bpe_simple_vocab_16e6.txt.gz")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    import diffusers

    merges = read_bpe(args.bpe)
    vocab = clip_vocab(merges)
    assert len(vocab) == VOCAB_SIZE, len(vocab)
    write_bpe(args.out / "clip-bpe", vocab, merges)
    for family, spec in FAMILIES.items():
        folder = args.out / family
        shutil.rmtree(folder, ignore_errors=True)
        write_family(folder, spec, diffusers.__version__)
        check_family(folder, family)
        print(f"{folder}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
