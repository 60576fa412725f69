"""``atelier generate --control-preprocess pose`` and ``--pose-model``: the pose model found by
id or file (or the one listed), carried in each ControlUse and the job's models, and one line
for whatever is wrong, before the engine starts. (The pixels are proven in tests/engine.)"""

import numpy as np
import pytest
import tiny_models
from PIL import Image
from test_cli import assert_fails, run_cli
from test_cli_image_to_image import home  # noqa: F401  (the autouse fixture: a test home of its own)
from tiny_depth import build_depth_model
from tiny_pose import build_pose_model

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
    """A header-only SD1.5 checkpoint, an OpenPose ControlNet, DWPose's pose model and a depth model."""
    models = paths.models_dir()
    tiny_models.write_safetensors_header(models / "Stable-diffusion" / "base.safetensors", _SD15_CHECKPOINT)
    tiny_models.write_safetensors_header(models / "ControlNet" / "openpose.safetensors", _SD15_CONTROLNET)
    build_pose_model(models / "dwpose" / "dw-ll_ucoco_384.onnx")
    build_depth_model(models / "depth" / "depth_anything_vits14.onnx")
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(user_home / "dancer.png")
    return models


class _Args:
    """The generate options adapter_choice reads, as argparse gives them."""

    def __init__(self, preprocess="pose", pose_model=None, depth_model=None):
        self.prompt, self.negative = "a dancer", ""
        self.lora, self.controlnet, self.reference = [], ["openpose:dancer.png"], []
        self.control_preprocess, self.control_start, self.control_end = preprocess, 0.0, 1.0
        self.pose_model, self.depth_model = pose_model, depth_model
        self.ip_adapter = self.image_encoder = self.vae = None


def test_the_listed_pose_model_or_a_file_is_used_and_handed_to_the_engine(library):
    choice = adapter_choice(_Args(), registry.resolve("base"), [])
    (control,) = choice.fields["controls"]
    assert (control.preprocess, control.detector) == ("pose", "dw-ll_ucoco_384")
    assert choice.models["dw-ll_ucoco_384"].kind == "pose"
    path = str((library / "dwpose" / "dw-ll_ucoco_384.onnx").resolve())
    by_file = adapter_choice(_Args(pose_model=path), registry.resolve("base"), [])
    assert by_file.fields["controls"][0].detector == path and by_file.models[path].family == "dwpose"


@pytest.mark.parametrize(("given", "error", "words"), [
    (dict(pose_model="depth_anything_vits14"), ModelError, ("--pose-model depth_anything_vits14", "no pose model")),
    (dict(preprocess="depth", pose_model="dw-ll_ucoco_384"), RequestError,
     ("--pose-model", "--control-preprocess pose")),
])
def test_a_wrong_pose_model_is_refused_in_one_line(library, given, error, words):
    with pytest.raises(error) as raised:
        adapter_choice(_Args(**given), registry.resolve("base"), [])
    message = str(raised.value)
    assert "\n" not in message and all(word in message for word in words)


def test_generate_takes_the_options(capsys, library, user_home):
    (library / "dwpose" / "dw-ll_ucoco_384.onnx").unlink()
    result = run_cli(capsys, "generate", "--model", "base", "--prompt", "a dancer", "--controlnet",
                     "openpose:dancer.png", "--control-preprocess", "pose", "--out", user_home / "dancer-out.png")
    assert_fails(result, 3, "--control-preprocess pose needs pose model", "dw-ll_ucoco_384.onnx", "--pose-model")
    assert not (user_home / "dancer-out.png").exists()
