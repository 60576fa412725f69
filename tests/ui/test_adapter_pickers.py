"""The prompt panel's LoRA, VAE and reference image pickers: what they offer for the chosen model,
the request they make with the prompt's <lora:...> tags, and "Use all" putting them back."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFileDialog, QLineEdit, QPushButton, QToolButton, QWidget
from safetensors.numpy import save_file
from window_driver import close_window, open_window

from atelier import paths
from atelier.core.errors import RequestError
from atelier.core.tasks.adapters import LoraUse, ReferenceUse
from atelier.engine.registry import ModelInfo
from atelier.ui.init_image_box import InitImage
from atelier.ui.prompt_panel import PromptPanel


def info(model_id: str, kind: str, family: str) -> ModelInfo:
    return ModelInfo(model_id, model_id.split("/")[-1], Path(f"/models/{model_id}.safetensors"), kind, family,
                     "" if kind != "image" else "Pipeline", 1, "folder", "single-file")


REF = f"assets/{'ab' * 32}.png"  # a project asset's name
PARTS = [info("Lora/ink", "lora", "sd15"), info("Lora/detail", "lora", "sd15"), info("Lora/xl-style", "lora", "sdxl"),
         info("Lora/mystery", "lora", "unknown"), info("VAE/ft-mse", "vae", "unknown"),
         info("ipadapter/ip-sd15", "ip-adapter", "sd15"), info("clip_vision/vit-h", "image-encoder", "unknown")]


@pytest.fixture
def panel(qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.set_parts(PARTS)
    panel.set_models([info("base", "image", "sd15"), info("xl", "image", "sdxl")])
    panel.show()
    return panel


def menu_actions(panel) -> dict[str, QAction]:
    """The Add LoRA menu's entries by objectName, as it fills itself when opened."""
    pickers = panel.adapter_pickers
    pickers.lora_menu.aboutToShow.emit()
    return {action.objectName(): action for action in pickers.lora_menu.actions() if action.objectName()}


def row(panel, model_id: str) -> QWidget:
    return panel.findChild(QWidget, f"loraRow:{model_id}")


def test_collapsed_and_unbuilt_until_opened(panel):
    pickers = panel.adapter_pickers
    assert pickers.body is None and panel.findChild(QComboBox, "vaeCombo") is None
    assert panel.request().loras == () and panel.request().vae == ""
    panel.findChild(QToolButton, "adapterPickersToggle").click()
    assert pickers.body.isVisible() and panel.findChild(QComboBox, "vaeCombo").isVisible()


def test_chosen_loras_weights_and_vae_make_the_request(panel):
    panel.findChild(QToolButton, "adapterPickersToggle").click()
    actions = menu_actions(panel)
    assert set(actions) == {"addLora:Lora/ink", "addLora:Lora/detail", "addLora:Lora/mystery"}  # no SDXL one
    assert "family unknown" in actions["addLora:Lora/mystery"].text()
    panel.adapter_pickers.lora_menu.findChild(QLineEdit, "loraSearch").setText("INK")
    assert [name for name, action in actions.items() if action.isVisible()] == ["addLora:Lora/ink"]
    actions["addLora:Lora/ink"].trigger()
    menu_actions(panel)["addLora:Lora/mystery"].trigger()
    assert not menu_actions(panel)["addLora:Lora/ink"].isEnabled()  # chosen once only
    row(panel, "Lora/ink").findChild(QDoubleSpinBox, "loraWeightSpin").setValue(0.7)
    vae = panel.findChild(QComboBox, "vaeCombo")
    assert [vae.itemText(i) for i in range(vae.count())] == ["Model's own", "ft-mse"]
    vae.setCurrentIndex(1)
    panel.use_prompt("a lighthouse", "")
    request = panel.request()
    assert request.loras == (LoraUse("Lora/ink", 0.7), LoraUse("Lora/mystery", 1.0))
    assert request.vae == "VAE/ft-mse"
    assert request.extra_model_ids == ("Lora/ink", "Lora/mystery", "VAE/ft-mse")
    toggle = panel.findChild(QToolButton, "adapterPickersToggle")
    toggle.click()  # collapsed, its title says what is in use
    assert toggle.text() == "LoRAs, VAE, reference image  (2 LoRAs, VAE)" and not panel.adapter_pickers.body.isVisible()
    row(panel, "Lora/mystery").findChild(QToolButton, "removeLoraButton").click()
    assert panel.request().loras == (LoraUse("Lora/ink", 0.7),)


def test_weight_arrows_stay_within_two_and_typing_goes_to_ten(panel):
    panel.adapter_pickers.add_lora("Lora/ink", 1.95)
    spin = row(panel, "Lora/ink").findChild(QDoubleSpinBox, "loraWeightSpin")
    spin.stepBy(3)
    assert spin.value() == 2.0
    spin.setValue(8.5)
    assert panel.request().loras == (LoraUse("Lora/ink", 8.5),)


def test_the_pickers_follow_the_models_family(panel):
    pickers = panel.adapter_pickers
    pickers.add_lora("Lora/ink")
    panel.model_combo.setCurrentIndex(1)  # the SDXL model
    assert set(menu_actions(panel)) == {"addLora:Lora/xl-style", "addLora:Lora/mystery"}
    assert "\u26a0 sd15" in row(panel, "Lora/ink").findChild(QWidget, "loraName").text()
    with pytest.raises(RequestError, match="LoRA ink: made for sd15 models, and this model is sdxl"):
        panel.request()
    assert panel.findChild(QWidget, "referenceHint").isVisibleTo(pickers.body)  # no SDXL IP-Adapter listed
    assert not panel.findChild(QWidget, "chooseReferenceButton").isVisibleTo(pickers.body)


def test_prompt_tags_join_the_picker_and_a_tag_naming_nothing_is_refused(panel):
    panel.adapter_pickers.add_lora("Lora/ink", 0.7)
    panel.use_prompt("a cat <lora:INK:0.3>, <lora:detail>", "")
    request = panel.request()
    assert request.loras == (LoraUse("Lora/ink", 0.3), LoraUse("Lora/detail", 1.0))
    assert request.prompt == "a cat <lora:INK:0.3>, <lora:detail>"  # kept as written, as A1111 keeps it
    panel.use_prompt("a cat <lora:foo:0.5>", "")
    with pytest.raises(RequestError, match=r"^<lora:foo>: no LoRA named foo among your models; add its folder "
                                           r"\(Edit > Add a Models Folder\.\.\.\) or fix the name$"):
        panel.request()
    assert panel.form_settings()["loras"] == [{"model": "Lora/ink", "weight": 0.7}]  # remembered, unresolved


def test_a_reference_image_goes_into_the_request_as_an_input(panel):
    pickers = panel.adapter_pickers
    pickers.set_reference(InitImage(REF, 64, 48, "ref.png", QImage(8, 8, QImage.Format.Format_RGB32)))
    pickers.reference_weight.setValue(0.8)
    request = panel.request()
    assert request.references == (ReferenceUse("ipadapter/ip-sd15", "clip_vision/vit-h", REF, 0.8),)
    assert request.inputs["reference_1"] == REF
    panel.findChild(QToolButton, "clearReferenceButton").click()
    assert panel.request().references == ()


def test_use_all_restores_the_pickers_and_names_what_is_gone(panel, qtbot):
    panel.adapter_pickers.add_lora("Lora/ink", 0.4)
    panel.adapter_pickers.set_reference(InitImage(REF, 64, 48, "ref.png", QImage(8, 8, QImage.Format.Format_RGB32)))
    panel.use_prompt("a cat <lora:detail:0.9>", "")
    panel.adapter_pickers.vae_combo.setCurrentIndex(1)
    made = panel.request()
    settings = {**made.to_dict(), "loras": [*made.to_dict()["loras"], {"model": "Lora/gone", "weight": 1.0}]}

    other = PromptPanel()
    qtbot.addWidget(other)
    other.set_parts(PARTS)
    other.set_models([info("base", "image", "sd15")])
    read = []
    other.init_image_reader = lambda asset, then: (read.append(asset), then(
        InitImage(asset, 64, 48, "as the output started", QImage(8, 8, QImage.Format.Format_RGB32))))
    missed = other.apply_settings(settings, "base")
    assert missed == ["LoRA Lora/gone (no longer listed)"]
    assert other.adapter_pickers.chosen_loras() == [("Lora/ink", 0.4)]  # detail stays a tag in the prompt
    assert read == [REF]
    again = other.request()
    assert (again.loras, again.vae, again.references) == (made.loras, made.vae, made.references)

    other.set_parts([part for part in PARTS if part.kind != "vae"])
    assert other.apply_settings(settings, "base") == ["LoRA Lora/gone (no longer listed)",
                                                       "VAE VAE/ft-mse (not listed for this model)"]
    assert other.apply_settings({"prompt": "plain"}, "base") == []  # none: the pickers are emptied
    assert (other.request().loras, other.request().vae, other.request().references) == ((), "", ())


def _tiny_part(path: Path, tensors: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({key: np.zeros(shape, dtype=np.float16) for key, shape in tensors.items()}, str(path))


def test_the_window_lists_the_scanned_parts_stores_a_reference_and_refuses_an_unknown_tag(
        qtbot, monkeypatch, user_home, sd15_dir):
    models = paths.models_dir()
    shutil.copytree(sd15_dir, models / "tiny-sd15")
    attn = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k"
    _tiny_part(models / "Lora" / "ink.safetensors", {f"{attn}.lora_down.weight": (4, 768),
                                                     f"{attn}.lora_up.weight": (320, 4)})
    _tiny_part(models / "Lora" / "xl-style.safetensors",
               {"lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": (4, 8),
                "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_up.weight": (8, 4)})
    _tiny_part(models / "VAE" / "ft-mse.safetensors", {"encoder.conv_in.weight": (1, 1, 1, 1),
                                                       "decoder.conv_out.weight": (1, 1, 1, 1)})
    _tiny_part(models / "ipadapter" / "ip-sd15.safetensors", {"image_proj.proj.weight": (4, 4),
                                                              "ip_adapter.1.to_k_ip.weight": (320, 768)})
    _tiny_part(models / "clip_vision" / "vit-h.safetensors", {"vision_model.embeddings.patch_embedding.weight": (4, 3, 2, 2)})
    picture = user_home / "reference.png"
    QImage(48, 32, QImage.Format.Format_RGB32).save(str(picture))
    win = open_window(qtbot)
    try:
        panel = win.panel
        pickers = panel.adapter_pickers
        qtbot.waitUntil(lambda: len(pickers.parts) == 5, timeout=10_000)
        assert {(p.name, p.kind, p.family) for p in pickers.parts} == {
            ("ink", "lora", "sd15"), ("xl-style", "lora", "sdxl"), ("ft-mse", "vae", "unknown"),
            ("ip-sd15", "ip-adapter", "sd15"), ("vit-h", "image-encoder", "unknown")}
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(picture), ""))
        pickers.set_open(True)
        panel.findChild(QPushButton, "chooseReferenceButton").click()
        qtbot.waitUntil(lambda: pickers.reference is not None, timeout=10_000)
        reference = panel.request().references[0]
        assert (reference.model, reference.encoder) == ("ip-sd15", "vit-h")  # ids as the scan gives them
        assert win.project_controller.read_asset(reference.image)[:8] == b"\x89PNG\r\n\x1a\n"  # stored in the project
        assert [name.split(":", 1)[1].split("/")[-1] for name in menu_actions(panel)] == ["ink"]
        panel.use_prompt("a cat <lora:foo>", "")
        panel.generate_button.click()
        assert panel.message_label.text().startswith("<lora:foo>: no LoRA named foo among your models")
        assert win.generation.queue_model.rowCount() == 0  # nothing queued
    finally:
        close_window(qtbot, win)
