"""The Guidance section offers "Pose (<name>)" for each pose model the artist has, beside the depth
models: chosen, the ControlUse asks for a pose map by that model, and the window finds the model
to hand the engine."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QToolButton
from tiny_depth import build_depth_model
from tiny_models import write_safetensors_header
from tiny_pose import build_pose_model

from atelier import paths
from atelier.core.project_io import asset_name
from atelier.core.tasks import TextToImageRequest

SD15_CONTROLNET = {"control_model.input_hint_block.0.weight": ("F16", [16, 3, 3, 3]),
                   "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": ("F16", [320, 768])}


def test_a_listed_pose_model_is_offered_and_chosen(qtbot, window):
    window.findChild(QToolButton, "guidanceToggle").click()
    preprocess = window.findChild(QComboBox, "guidancePreprocessCombo")
    assert not any(preprocess.itemText(i).startswith("Pose") for i in range(preprocess.count()))

    write_safetensors_header(paths.models_dir() / "ControlNet" / "openpose_sd15.safetensors", SD15_CONTROLNET)
    build_depth_model(paths.models_dir() / "depth" / "depth_anything_vits14.onnx")
    build_pose_model(paths.models_dir() / "dwpose" / "dw-ll_ucoco_384.onnx")
    window.rescan_models()
    qtbot.waitUntil(lambda: preprocess.count() == 5, timeout=10_000)
    assert [preprocess.itemText(i) for i in (3, 4)] == ["Depth (depth_anything_vits14)", "Pose (dw-ll_ucoco_384)"]
    assert preprocess.itemData(4, Qt.ItemDataRole.ToolTipRole).endswith("dw-ll_ucoco_384.onnx")

    window.findChild(QComboBox, "guidanceModelCombo").setCurrentIndex(1)
    source = window.findChild(QComboBox, "guidanceSourceCombo")
    source.setCurrentIndex(source.findData("picture"))
    preprocess.setCurrentIndex(4)
    control = window.panel.guidance_box.choice().use(asset_name("0" * 64, "png"))
    assert (control.model, control.preprocess, control.detector) == ("openpose_sd15", "pose", "dw-ll_ucoco_384")
    request = TextToImageRequest(prompt="a dancer", controls=(control,))
    found = [window.generation.find_model(model_id) for model_id in request.extra_model_ids]
    assert [(info.id, info.kind) for info in found] == [("openpose_sd15", "controlnet"), ("dw-ll_ucoco_384", "pose")]
