"""``atelier generate``'s --lora, --controlnet, --reference and --vae, and <lora:...> tags in the
prompt: each part found by file, id or name and checked against the model's family before the
engine starts, with one line for whatever is wrong. (What the parts do to the pixels is proven
in tests/engine; here nothing is generated.)"""

import numpy as np
import pytest
import tiny_models
from PIL import Image
from test_cli import assert_fails, run_cli
from test_cli_image_to_image import home  # noqa: F401  (the autouse fixture: a test home of its own)

from atelier import paths
from atelier.cli.adapter_options import adapter_choice
from atelier.core.errors import ModelError, RequestError
from atelier.engine import registry

_SD15_CHECKPOINT = {
    "model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
    "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": ("F16", [49408, 768]),
}
_ATTN2 = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k"


def _lora(context: int) -> dict:
    return {f"{_ATTN2}.lora_down.weight": ("F16", [4, context]), f"{_ATTN2}.lora_up.weight": ("F16", [640, 4])}


@pytest.fixture
def library(user_home):
    """A header-only SD1.5 checkpoint and parts around it, as an A1111 install keeps them."""
    models = paths.models_dir()
    tiny_models.write_safetensors_header(models / "Stable-diffusion" / "base.safetensors", _SD15_CHECKPOINT)
    tiny_models.write_safetensors_header(models / "Lora" / "Ink Style.safetensors", _lora(768))
    tiny_models.write_safetensors_header(models / "Lora" / "xl-only.safetensors", _lora(2048))
    tiny_models.write_safetensors_header(models / "VAE" / "clear.safetensors",
                                         {"encoder.conv_in.weight": ("F16", [128, 3, 3, 3]),
                                          "decoder.conv_out.weight": ("F16", [3, 128, 3, 3])})
    tiny_models.write_safetensors_header(models / "ControlNet" / "scribble.safetensors",
                                         {"control_model.input_hint_block.0.weight": ("F16", [16, 3, 3, 3]),
                                          "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight":
                                              ("F16", [320, 768])})
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(user_home / "sketch.png")
    return models


class _Args:
    """The generate options adapter_choice reads, as argparse gives them."""

    def __init__(self, prompt="a lighthouse", **given):
        self.prompt, self.negative = prompt, ""
        self.lora, self.controlnet, self.reference = given.get("lora", []), given.get("controlnet", []), []
        self.control_preprocess, self.control_start, self.control_end = "none", 0.0, 1.0
        self.ip_adapter = self.image_encoder = None
        self.vae = given.get("vae")


def _model():
    return registry.resolve("base")


def test_parts_are_found_by_name_id_or_file_and_tags_join_them(library):
    choice = adapter_choice(_Args(prompt="a lighthouse, <lora:ink style:0.4>", lora=["ink style:0.9"],
                                  controlnet=["scribble:sketch.png:0.7"],
                                  vae=str(library / "VAE" / "clear.safetensors")), _model(), [])

    (lora,) = choice.fields["loras"]
    assert (lora.model, lora.weight) == ("Ink Style", 0.4)  # the tag's weight wins over the option's
    (control,) = choice.fields["controls"]
    assert (control.model, control.strength, control.preprocess) == ("scribble", 0.7, "none")
    assert control.image in choice.inputs and choice.inputs[control.image].startswith(b"\x89PNG")
    vae_path = str((library / "VAE" / "clear.safetensors").resolve())
    assert choice.fields["vae"] == vae_path  # given as a file: known by its path
    assert set(choice.models) == {"Ink Style", "scribble", vae_path}
    assert choice.models["Ink Style"].kind == "lora"


@pytest.mark.parametrize(("given", "error", "words"), [
    (dict(lora=["nothing-here"]), ModelError, ("--lora nothing-here", "no LoRA", "atelier models --type lora")),
    (dict(prompt="a cat <lora:missing:0.5>"), RequestError, ("<lora:missing>", "no LoRA named missing")),
    (dict(prompt="a cat <lora:ink style:strong>"), RequestError, ("must be a number",)),
    (dict(lora=["xl-only"]), ModelError, ("xl-only", "sdxl", "sd15")),
    (dict(lora=["clear"]), ModelError, ("no LoRA",)),
    (dict(vae="Ink Style"), ModelError, ("no VAE",)),
    (dict(controlnet=["scribble"]), RequestError, ("FILE:IMAGE",)),
    (dict(controlnet=["scribble:missing.png"]), RequestError, ("missing.png", "cannot be read")),
])
def test_a_wrong_part_is_refused_in_one_line(library, given, error, words):
    with pytest.raises(error) as raised:
        adapter_choice(_Args(**given), _model(), [])
    message = str(raised.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_a_part_of_another_kind_given_as_a_file_is_named(library):
    with pytest.raises(ModelError, match="is a vae, not a LoRA"):
        adapter_choice(_Args(lora=[str(library / "VAE" / "clear.safetensors")]), _model(), [])


def test_generate_refuses_before_touching_the_project(capsys, library, user_home):
    project = user_home / "art.atelier"
    result = run_cli(capsys, "generate", "--model", "base", "--prompt", "a cat <lora:missing>", "--project", project)
    assert_fails(result, 2, "<lora:missing>", "no LoRA named missing")
    assert not project.exists()


def test_a_sound_model_takes_no_lora(capsys, user_home):
    folder = tiny_models.write_audio_model_index(paths.models_dir() / "sound")
    result = run_cli(capsys, "generate", "--model", folder, "--prompt", "rain", "--lora", "ink", "--out",
                     user_home / "rain.flac")
    assert_fails(result, 2, "--lora", "is for image models")
