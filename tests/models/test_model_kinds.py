"""Each model file's type and family, told from real key layouts in its safetensors header, and
the scan listing the parts (LoRAs, VAEs, ...) beside the checkpoints, going on past junk."""

import os

import pytest
import tiny_models

from atelier import paths
from atelier.core.errors import ModelError
from atelier.engine import registry
from atelier.models import kinds
from atelier.models.safetensors_header import read_header

_KOHYA_ATTN2 = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k"
_SD15_CHECKPOINT = {
    "model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
    "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": ("F16", [49408, 768]),
}


def _kohya_lora(context: int, text_encoders=("lora_te_",)) -> dict:
    tensors = {
        f"{_KOHYA_ATTN2}.lora_down.weight": ("F16", [4, context]),
        f"{_KOHYA_ATTN2}.lora_up.weight": ("F16", [640, 4]),
        f"{_KOHYA_ATTN2}.alpha": ("F16", []),
    }
    for prefix in text_encoders:
        tensors[f"{prefix}text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight"] = ("F16", [4, 768])
    return tensors


_PEFT_ATTN2 = "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k"
_CASES = {
    "kohya sd15 lora": (_kohya_lora(768), None, ("lora", "sd15")),
    "kohya sd2 lora": (_kohya_lora(1024), None, ("lora", "sd2")),
    "kohya sdxl lora": (_kohya_lora(2048, ("lora_te1_", "lora_te2_")), None, ("lora", "sdxl")),
    "sdxl lora by its text encoders alone": (
        {"lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": ("F16", [4, 1280])}, None, ("lora", "sdxl")),
    "peft lora": ({f"{_PEFT_ATTN2}.lora_A.weight": ("F16", [8, 768]),
                   f"{_PEFT_ATTN2}.lora_B.weight": ("F16", [640, 8])}, None, ("lora", "sd15")),
    "diffusers lora.down": ({f"{_PEFT_ATTN2}.lora.down.weight": ("F16", [8, 2048]),
                             f"{_PEFT_ATTN2}.lora.up.weight": ("F16", [640, 8])}, None, ("lora", "sdxl")),
    "flux lora": ({"transformer.single_transformer_blocks.0.attn.to_k.lora_A.weight": ("BF16", [16, 3072])}, None,
                  ("lora", "flux")),
    "kohya flux lora": ({"lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight": ("BF16", [16, 3072])}, None,
                        ("lora", "flux")),
    "sd3 lora": ({"lora_unet_joint_blocks_0_x_block_attn_qkv.lora_down.weight": ("F16", [16, 1536])}, None,
                 ("lora", "sd3")),
    "lora of no known width": ({"lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": ("F16", [4, 768])},
                               None, ("lora", "unknown")),
    "lora named by modelspec": ({"lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": ("F16", [4, 768])},
                                {"modelspec.architecture": "stable-diffusion-xl-v1-base/lora"}, ("lora", "sdxl")),
    "a1111 controlnet": ({"control_model.input_hint_block.0.weight": ("F16", [16, 3, 3, 3]),
                          "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": ("F16", [320, 768])},
                         None, ("controlnet", "sd15")),
    "diffusers sdxl controlnet": ({"controlnet_cond_embedding.conv_in.weight": ("F16", [16, 3, 3, 3]),
                                   "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight":
                                       ("F16", [640, 2048])}, None, ("controlnet", "sdxl")),
    "ip-adapter": ({"image_proj.proj.weight": ("F16", [3072, 1024]),
                    "ip_adapter.1.to_k_ip.weight": ("F16", [320, 768]),
                    "ip_adapter.1.to_v_ip.weight": ("F16", [320, 768])}, None, ("ip-adapter", "sd15")),
    "clip vision encoder": ({"vision_model.embeddings.patch_embedding.weight": ("F16", [1280, 3, 14, 14]),
                             "visual_projection.weight": ("F16", [1024, 1280])}, None, ("image-encoder", "unknown")),
    "vae": ({"encoder.conv_in.weight": ("F16", [128, 3, 3, 3]), "decoder.conv_out.weight": ("F16", [3, 128, 3, 3])},
            None, ("vae", "unknown")),
    "vae named by modelspec": ({"encoder.conv_in.weight": ("F16", [128, 3, 3, 3]),
                                "decoder.conv_out.weight": ("F16", [3, 128, 3, 3])},
                               {"modelspec.architecture": "stable-diffusion-xl-v1-base/vae"}, ("vae", "sdxl")),
    "a1111 embedding": ({"emb_params": ("F32", [2, 768])}, None, ("embedding", "sd15")),
    "sd2 embedding": ({"emb_params": ("F32", [2, 1024])}, None, ("embedding", "sd2")),
    "sdxl embedding": ({"clip_l": ("F32", [2, 768]), "clip_g": ("F32", [2, 1280])}, None, ("embedding", "sdxl")),
    "checkpoint": (_SD15_CHECKPOINT, None, ("checkpoint", "unknown")),
    "something else": ({"weight": ("F32", [2, 2])}, None, ("unknown", "unknown")),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_type_and_family_from_the_header(tmp_path, case):
    tensors, metadata, expected = _CASES[case]
    path = tiny_models.write_safetensors_header(tmp_path / "file.safetensors", tensors, metadata)
    kind = kinds.kind_of(read_header(path), path)
    assert (kind.type, kind.family) == expected
    assert kind.note == ""


def test_loha_and_lokr_are_loras_marked_unsupported(tmp_path):
    for name, key in (("loha", "hada_w1_a"), ("lokr", "lokr_w1")):
        path = tiny_models.write_safetensors_header(tmp_path / f"{name}.safetensors", {
            f"lora_unet_down_blocks_0_attentions_0_proj_in.{key}": ("F16", [4, 320])})
        assert kinds.kind_of(read_header(path)) == kinds.Kind("lora", "unknown", "LoHa/LoKr: not supported")


def test_a_file_in_an_upscaler_folder_is_an_upscaler(tmp_path):
    path = tiny_models.write_safetensors_header(tmp_path / "ESRGAN" / "4x.safetensors",
                                                {"conv_first.weight": ("F32", [64, 3, 3, 3])})
    assert kinds.kind_of(read_header(path), path).type == "upscaler"


def test_scan_lists_parts_beside_checkpoints_and_goes_on_past_junk(user_home):
    models = paths.models_dir()
    tiny_models.write_safetensors_header(models / "Stable-diffusion" / "style.safetensors", _SD15_CHECKPOINT)
    tiny_models.write_safetensors_header(models / "Lora" / "style.safetensors", _kohya_lora(2048, ("lora_te1_",)))
    tiny_models.write_safetensors_header(models / "VAE" / "vae.safetensors", _CASES["vae"][0])
    tiny_models.write_safetensors_header(models / "embeddings" / "word.safetensors", {"emb_params": ("F32", [1, 768])})
    junk = models / "junk"
    junk.mkdir()
    (junk / "truncated.safetensors").write_bytes(b"\x40\x00\x00")
    (junk / "too-long.safetensors").write_bytes((1000).to_bytes(8, "little") + b'{"a":')
    bad_utf8 = b'{"\xff\xfe": 1}'
    (junk / "not-utf8.safetensors").write_bytes(len(bad_utf8).to_bytes(8, "little") + bad_utf8)
    (junk / "folder.safetensors").mkdir()
    (junk / "loop.safetensors").symlink_to(junk / "loop.safetensors")

    result = registry.scan()

    listed = {m.path.relative_to(models).as_posix(): (m.id, m.kind, m.family) for m in result.models}
    assert listed == {
        "Stable-diffusion/style.safetensors": ("style", "image", "sd15"),  # the checkpoint keeps its plain id
        "Lora/style.safetensors": (listed["Lora/style.safetensors"][0], "lora", "sdxl"),
        "VAE/vae.safetensors": ("vae", "vae", "unknown"),
        "embeddings/word.safetensors": ("word", "embedding", "sd15"),
    }
    assert listed["Lora/style.safetensors"][0].startswith("style~")
    for name in ("truncated", "too-long", "not-utf8", "loop"):
        assert sum(f"{name}.safetensors" in line for line in result.problems) == 1, result.problems
    assert len(result.problems) == 4


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_scan_names_an_unreadable_file_and_goes_on(user_home):
    models = paths.models_dir()
    locked = tiny_models.write_safetensors_header(models / "locked.safetensors", _CASES["vae"][0])
    tiny_models.write_safetensors_header(models / "vae.safetensors", _CASES["vae"][0])
    locked.chmod(0)
    try:
        result = registry.scan()
    finally:
        locked.chmod(0o644)
    assert [m.id for m in result.models] == ["vae"]
    assert len(result.problems) == 1 and "locked.safetensors: cannot read" in result.problems[0]


def test_a_part_is_refused_where_a_model_to_run_is_needed(user_home):
    path = tiny_models.write_safetensors_header(paths.models_dir() / "style.safetensors", _kohya_lora(768))
    assert registry.describe(str(path)).kind == "lora"
    with pytest.raises(ModelError, match="is a lora, used with a checkpoint"):
        registry.resolve("style")
