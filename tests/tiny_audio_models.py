"""Tiny random-weight audio models, saved the way a user has them on disk: a Stable Audio (the
selftest's) and an ACE-Step diffusers folder, and MusicGen (plain and melody) transformers folders.

Every component is built from a config in code, tokenizers included, and written as
safetensors; the configs follow GUIDE section 6. They sound like noise; they exist so loading,
calling, seeding and saving run for real in well under a second each.
"""

from __future__ import annotations

from pathlib import Path

import torch

from atelier.engine.sample_model import TINY_T5_PIECES, build_sample_stable_audio, tiny_t5_config, tiny_t5_tokenizer

build_stable_audio = build_sample_stable_audio  # the selftest's sample model serves the tests too


def _musicgen_config(melody: bool = False):
    from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, MusicgenMelodyConfig
    from transformers import MusicgenMelodyDecoderConfig

    decoder_class = MusicgenMelodyDecoderConfig if melody else MusicgenDecoderConfig
    decoder = decoder_class(vocab_size=64, num_codebooks=4, pad_token_id=64, bos_token_id=64, hidden_size=16,
                            num_hidden_layers=1, num_attention_heads=2, ffn_dim=32, max_position_embeddings=4096)
    audio_encoder = EncodecConfig(sampling_rate=800, upsampling_ratios=[2, 2], hidden_size=16, num_filters=4,
                                  num_lstm_layers=1, codebook_size=64, target_bandwidths=[4.8])
    parts = dict(text_encoder=tiny_t5_config().to_dict(), audio_encoder=audio_encoder.to_dict(),
                 decoder=decoder.to_dict())
    if melody:
        return MusicgenMelodyConfig(**parts, num_chroma=12, chroma_length=235)
    return MusicgenConfig(**parts)


def build_musicgen(folder: Path, seed: int = 0, melody: bool = False) -> Path:
    """A tiny MusicGen (or MusicGen Melody) folder as transformers saves one: config.json,
    generation_config.json, model.safetensors and the T5 tokenizer. 800 Hz audio at 200
    tokens a second (upsampling 2 x 2)."""
    from transformers import MusicgenForConditionalGeneration, MusicgenMelodyForConditionalGeneration

    torch.manual_seed(seed)
    model_class = MusicgenMelodyForConditionalGeneration if melody else MusicgenForConditionalGeneration
    model = model_class(_musicgen_config(melody))
    # Encodec's codebooks start as zeros (a real model learns them), which would decode every
    # token to the same sound: random codebooks make different seeds sound different.
    for layer in model.audio_encoder.quantizer.layers:
        layer.codebook.embed.normal_()
    config = model.generation_config
    config.decoder_start_token_id = config.pad_token_id = 64
    config.do_sample, config.guidance_scale, config.max_length = True, 3.0, 1500
    model.save_pretrained(folder, safe_serialization=True)
    tiny_t5_tokenizer().save_pretrained(folder)
    return Path(folder)


def _word_tokenizer():
    """A word-level fast tokenizer over a small vocabulary, built in code (ACE-Step's real one
    is Qwen3's, which the tests cannot download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<pad>", "<unk>", "<eos>", *(piece.lstrip("▁") for piece in TINY_T5_PIECES[4:17]), "[verse]", "[chorus]",
             "#", "seconds", "en", ":", "-", ".", ",", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]
    vocab = {word: index for index, word in enumerate(dict.fromkeys(words))}
    model = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    model.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits(True)])
    return PreTrainedTokenizerFast(tokenizer_object=model, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>",
                                   model_max_length=4096)


def build_ace_step(folder: Path, seed: int = 0, rate: int = 400) -> Path:
    """A tiny AceStepPipeline (components as in diffusers' own fast tests, with a small word
    tokenizer and vocabulary). Latents run at rate / 2 frames a second."""
    from diffusers import AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step import AceStepConditionEncoder, AceStepPipeline
    from transformers import Qwen3Config, Qwen3Model

    tokenizer = _word_tokenizer()
    torch.manual_seed(seed)
    layers = dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                  rope_theta=10000.0)
    transformer = AceStepTransformer1DModel(num_hidden_layers=2, in_channels=24, audio_acoustic_hidden_dim=8,
                                            patch_size=2, sliding_window=16, **layers)
    text_encoder = Qwen3Model(Qwen3Config(num_hidden_layers=2, vocab_size=len(tokenizer),
                                          max_position_embeddings=256, **layers))
    condition_encoder = AceStepConditionEncoder(text_hidden_dim=32, timbre_hidden_dim=8,
                                                num_lyric_encoder_hidden_layers=2,
                                                num_timbre_encoder_hidden_layers=2, sliding_window=16, **layers)
    vae = AutoencoderOobleck(encoder_hidden_size=6, downsampling_ratios=[1, 2], decoder_channels=3,
                             decoder_input_channels=8, audio_channels=2, channel_multiples=[2, 4], sampling_rate=rate)
    pipe = AceStepPipeline(transformer=transformer, condition_encoder=condition_encoder, vae=vae,
                           text_encoder=text_encoder, tokenizer=tokenizer,
                           scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1, shift=1.0))
    pipe.save_pretrained(folder, safe_serialization=True)
    return Path(folder)
