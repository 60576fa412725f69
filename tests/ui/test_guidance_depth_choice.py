"""The Guidance section offers "Depth (<name>)" for each depth model the artist has: chosen, the
ControlUse asks for a depth map by that model, and the window finds the model to hand the engine."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QToolButton
from tiny_depth import build_depth_model
from tiny_models import write_safetensors_header

from atelier import paths
from atelier.core.project_io import asset_name
from atelier.core.tasks import TextToImageRequest

SD15_CONTROLNET = {"control_model.input_hint_block.0.weight": ("F16", [16, 3, 3, 3]),
                   "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": ("F16", [320, 768])}


def test_a_listed_depth_model_is_offered_and_chosen(qtbot, window):
    window.findChild(QToolButton, "guidanceToggle").click()
    preprocess = window.findChild(QComboBox, "guidancePreprocessCombo")
    assert not any(preprocess.itemText(i).startswith("Depth") for i in range(preprocess.count()))

    write_safetensors_header(paths.models_dir() / "ControlNet" / "depth_sd15.safetensors", SD15_CONTROLNET)
    build_depth_model(paths.models_dir() / "depth" / "depth_anything_vits14.onnx")
    window.rescan_models()
    qtbot.waitUntil(lambda: preprocess.count() == 4, timeout=10_000)
    assert preprocess.itemText(3) == "Depth (depth_anything_vits14)"
    assert preprocess.itemData(3, Qt.ItemDataRole.ToolTipRole).endswith("depth_anything_vits14.onnx")

    window.findChild(QComboBox, "guidanceModelCombo").setCurrentIndex(1)
    source = window.findChild(QComboBox, "guidanceSourceCombo")
    source.setCurrentIndex(source.findData("picture"))
    preprocess.setCurrentIndex(3)
    image = asset_name("0" * 64, "png")
    control = window.panel.guidance_box.choice().use(image)
    assert (control.model, control.preprocess, control.detector) == ("depth_sd15", "depth", "depth_anything_vits14")
    request = TextToImageRequest(prompt="a lighthouse", controls=(control,))
    found = [window.generation.find_model(model_id) for model_id in request.extra_model_ids]
    assert [(info.id, info.kind) for info in found] == [("depth_sd15", "controlnet"),
                                                         ("depth_anything_vits14", "depth")]

    # A rescan keeps the choice; the sketch itself is used as it is, with no depth model.
    listed = window.generation.parts
    window.rescan_models()
    qtbot.waitUntil(lambda: window.generation.parts is not listed, timeout=10_000)
    assert preprocess.currentIndex() == 3 and preprocess.currentData() is not found[1]  # the new scan's
    source.setCurrentIndex(source.findData("sketch"))
    sketch = window.panel.guidance_box.choice().use(image)
    assert (sketch.preprocess, sketch.detector) == ("none", "")
