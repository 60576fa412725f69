"""Tiny models with fixed random weights for the selftest: a Stable Diffusion 1.5-shaped
pipeline, a Stable Audio-shaped one, and a 2x upscaler file.

Built from bundled configs and tokenizers made in code, so they need no download and no model of
the user's; the same torch build makes the same weights, and so the same pixels and samples,
everywhere. The tests use them too.
"""

from pathlib import Path

from .. import paths


def build_sample_sd15(folder: Path) -> Path:
    """Save the tiny pipeline as a diffusers folder at ``folder``; return it."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from .single_file import load_tokenizers

    config = paths.resource_path("model-configs", "sd15")
    tokenizer = load_tokenizers(config)["tokenizer"]
    scheduler = PNDMScheduler.from_pretrained(config / "scheduler", local_files_only=True)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32, norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=[32, 64], in_channels=3, out_channels=3, latent_channels=4, sample_size=64,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
    )
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=2, max_position_embeddings=77, projection_dim=32,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    ))
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(Path(folder), safe_serialization=True)
    return Path(folder)


# Word pieces of the tiny T5 tokenizer (SentencePiece unigram: scored by their order).
TINY_T5_PIECES = ["<pad>", "</s>", "<unk>", "▁", "▁a", "▁calm", "▁piano", "▁rain", "▁drum", "▁loop", "▁song", "▁of",
              "▁the", "▁bird", "▁warm", "▁synth", "▁bass", "e", "a", "o", "i", "n", "s", "t", "r", "l", "d", "m", "p",
              "c", "u", "g", "b", "h", "k", "w", "y", "f", "v"]


def tiny_t5_tokenizer():
    from transformers import T5TokenizerFast

    vocab = [(piece, 0.0 if index < 3 else -float(index)) for index, piece in enumerate(TINY_T5_PIECES)]
    return T5TokenizerFast(vocab=vocab, extra_ids=0, unk_token="<unk>", pad_token="<pad>", eos_token="</s>",
                           model_max_length=64)


def tiny_t5_config(**extra):
    from transformers import T5Config

    return T5Config(vocab_size=len(TINY_T5_PIECES), d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2,
                    decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, **extra)


def build_sample_stable_audio(folder: Path, seed: int = 0, rate: int = 8000) -> Path:
    """Save a tiny StableAudioPipeline at ``folder``; return it. Its longest clip is
    sample_size x prod(downsampling_ratios) / rate = 2000 x 2 / 8000 = 0.5 s (GUIDE section 6)."""
    import torch
    from diffusers import (AutoencoderOobleck, CosineDPMSolverMultistepScheduler, StableAudioDiTModel,
                           StableAudioPipeline, StableAudioProjectionModel)
    from transformers import T5EncoderModel

    torch.manual_seed(seed)
    transformer = StableAudioDiTModel(sample_size=2000, in_channels=3, num_layers=2, attention_head_dim=4,
                                      num_key_value_attention_heads=2, out_channels=3, cross_attention_dim=4,
                                      time_proj_dim=8, global_states_input_dim=8, cross_attention_input_dim=4)
    vae = AutoencoderOobleck(encoder_hidden_size=6, downsampling_ratios=[1, 2], decoder_channels=3,
                             decoder_input_channels=3, audio_channels=2, channel_multiples=[2, 4], sampling_rate=rate)
    text_encoder = T5EncoderModel(tiny_t5_config())
    projection = StableAudioProjectionModel(text_encoder_dim=16, conditioning_dim=4, min_value=0, max_value=32)
    # The released model's sampler and settings (its scheduler_config.json).
    scheduler = CosineDPMSolverMultistepScheduler(solver_order=2, prediction_type="v_prediction", sigma_data=1.0,
                                                  sigma_schedule="exponential")
    pipe = StableAudioPipeline(vae=vae, text_encoder=text_encoder, projection_model=projection,
                               tokenizer=tiny_t5_tokenizer(), transformer=transformer, scheduler=scheduler)
    pipe.save_pretrained(Path(folder), safe_serialization=True)
    return Path(folder)


def build_sample_upscaler(path: Path, seed: int = 0) -> Path:
    """A 2x upscaler file in RealESRGAN Compact's layout (``body.N``: convolutions, each followed
    by a PReLU, and a last one feeding a pixel shuffle), which spandrel detects as it detects
    any Compact download. Eight filters, random weights: the selftest needs it to run, not to
    be good."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(seed)
    filters, scale = 8, 2
    state = {}
    for index, in_channels in enumerate((3, filters)):
        state[f"body.{2 * index}.weight"] = torch.randn(filters, in_channels, 3, 3, generator=generator) / (in_channels * 9) ** 0.5
        state[f"body.{2 * index}.bias"] = torch.zeros(filters)
        state[f"body.{2 * index + 1}.weight"] = torch.full((filters,), 0.25)  # PReLU slopes
    state["body.4.weight"] = torch.randn(3 * scale * scale, filters, 3, 3, generator=generator) / (filters * 9) ** 0.5
    state["body.4.bias"] = torch.full((3 * scale * scale,), 0.5)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path))
    return Path(path)


def build_sample_lora(model_dir: Path, path: Path, seed: int = 0) -> Path:
    """A rank-4 LoRA for the sample model at ``model_dir`` on its UNet's attention projections,
    in diffusers' layout (``unet.<layer>.lora_A/lora_B``) and named an SD1.5 LoRA by its
    ``modelspec.architecture``, as published files are. Random weights: it changes the picture."""
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file

    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(Path(model_dir) / "unet"))
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, module in unet.named_modules():
        if isinstance(module, torch.nn.Linear) and name.endswith(("to_q", "to_k", "to_v")):
            state[f"unet.{name}.lora_A.weight"] = torch.randn(4, module.in_features, generator=generator)
            state[f"unet.{name}.lora_B.weight"] = torch.randn(module.out_features, 4, generator=generator)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata={"modelspec.architecture": "stable-diffusion-v1/lora"})
    return Path(path)
