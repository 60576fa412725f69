"""``atelier generate --control-preprocess depth`` and ``--depth-model``: the depth model found
by id or file (or the one listed), carried in each ControlUse and the job's models, and one line
for whatever is wrong, before the engine starts. (The pixels are proven in tests/engine.)"""

import numpy as np
import pytest
import tiny_models
from PIL import Image
from test_cli import assert_fails, run_cli
from test_cli_image_to_image import home  # noqa: F401  (the autouse fixture: a test home of its own)
from tiny_depth import build_depth_model
from tiny_matting import build_matting_model

from atelier import paths
from atelier.cli.adapter_options import adapter_choice
from atelier.core.errors import ModelError, RequestError
from atelier.engine import registry

_SD15_CHECKPOINT = {
    "model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
    "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": ("F16", [49408, 768]),
}
_SD15_CONTROLNET = {"control_model.input_hint_block.0.weight": ("F16", [16, 3, 3, 3]),
                    "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": ("F16", [320, 768])}


@pytest.fixture
def library(user_home):
    """A header-only SD1.5 checkpoint, a depth ControlNet, one depth model and a matting model."""
    models = paths.models_dir()
    tiny_models.write_safetensors_header(models / "Stable-diffusion" / "base.safetensors", _SD15_CHECKPOINT)
    tiny_models.write_safetensors_header(models / "ControlNet" / "depth.safetensors", _SD15_CONTROLNET)
    build_depth_model(models / "depth" / "depth_anything_vits14.onnx")
    build_matting_model(models / "u2netp.onnx")
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(user_home / "photo.png")
    return models


class _Args:
    """The generate options adapter_choice reads, as argparse gives them."""

    def __init__(self, preprocess="depth", depth_model=None, controlnet=("depth:photo.png",)):
        self.prompt, self.negative = "a lighthouse", ""
        self.lora, self.controlnet, self.reference = [], list(controlnet), []
        self.control_preprocess, self.control_start, self.control_end = preprocess, 0.0, 1.0
        self.depth_model = depth_model
        self.ip_adapter = self.image_encoder = self.vae = None


def test_the_one_listed_depth_model_is_used_and_handed_to_the_engine(library):
    choice = adapter_choice(_Args(), registry.resolve("base"), [])
    (control,) = choice.fields["controls"]
    assert (control.preprocess, control.detector) == ("depth", "depth_anything_vits14")
    assert choice.models["depth_anything_vits14"].kind == "depth"
    by_file = adapter_choice(_Args(depth_model=str(library / "depth" / "depth_anything_vits14.onnx")),
                             registry.resolve("base"), [])
    path = str((library / "depth" / "depth_anything_vits14.onnx").resolve())
    assert by_file.fields["controls"][0].detector == path and by_file.models[path].family == "depth-anything"


@pytest.mark.parametrize(("given", "error", "words"), [
    (dict(depth_model="u2netp"), ModelError, ("--depth-model u2netp", "no depth model")),
    (dict(depth_model="nothing"), ModelError, ("--depth-model nothing", "atelier models --type depth")),
    (dict(preprocess="canny", depth_model="depth_anything_vits14"), RequestError,
     ("--depth-model", "--control-preprocess depth")),
])
def test_a_wrong_depth_model_is_refused_in_one_line(library, given, error, words):
    with pytest.raises(error) as raised:
        adapter_choice(_Args(**given), registry.resolve("base"), [])
    message = str(raised.value)
    assert "\n" not in message and all(word in message for word in words)


def test_none_or_several_listed_need_the_option(library):
    build_depth_model(library / "depth" / "dpt_hybrid.onnx", side=64)
    with pytest.raises(RequestError, match=r"--control-preprocess depth: 2 depth models are listed; choose one "
                                           r"with --depth-model \(depth_anything_vits14, dpt_hybrid\)"):
        adapter_choice(_Args(), registry.resolve("base"), [])
    for name in ("depth_anything_vits14.onnx", "dpt_hybrid.onnx"):
        (library / "depth" / name).unlink()
    with pytest.raises(ModelError, match="--control-preprocess depth needs depth model; .*--depth-model"):
        adapter_choice(_Args(), registry.resolve("base"), [])


def test_generate_takes_the_options(capsys, library, user_home):
    result = run_cli(capsys, "generate", "--model", "base", "--prompt", "a cat", "--controlnet", "depth:photo.png",
                     "--control-preprocess", "depth", "--depth-model", "u2netp", "--out", user_home / "cat.png")
    assert_fails(result, 3, "--depth-model u2netp", "no depth model")  # 3: a model problem
    assert not (user_home / "cat.png").exists()
