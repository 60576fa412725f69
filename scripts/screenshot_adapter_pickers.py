"""Regenerate docs/loras.png: the prompt panel's "LoRAs, VAE, reference image" section open, two
LoRAs chosen with their weights, another VAE and the reference image's IP-Adapter. The parts are
tiny .safetensors files with the header layouts an A1111 or ComfyUI folder holds. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_adapter_pickers.py"""

import sys
from pathlib import Path

from screenshot import open_window_on_tiny_model, run, save_and_quit

_ATTN = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k"
_SD15_LORA = {f"{_ATTN}.lora_down.weight": (4, 768), f"{_ATTN}.lora_up.weight": (320, 4)}
_SDXL_LORA = {"lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": (4, 8),
              "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_up.weight": (8, 4)}
_PARTS = {
    "Lora/watercolor-wash.safetensors": _SD15_LORA,
    "Lora/ink-linework.safetensors": _SD15_LORA,
    "Lora/detail-tweaker.safetensors": _SD15_LORA,
    "Lora/film-grain-xl.safetensors": _SDXL_LORA,  # another family: not offered
    "VAE/vae-ft-mse-840000.safetensors": {"encoder.conv_in.weight": (1, 1, 1, 1), "decoder.conv_out.weight": (1, 1, 1, 1)},
    "ipadapter/ip-adapter_sd15.safetensors": {"image_proj.proj.weight": (4, 4), "ip_adapter.1.to_k_ip.weight": (320, 768)},
    "clip_vision/clip-vit-h.safetensors": {"vision_model.embeddings.patch_embedding.weight": (4, 3, 2, 2)},
}


def write_parts(models: Path) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    for name, tensors in _PARTS.items():
        (models / name).parent.mkdir(parents=True, exist_ok=True)
        save_file({key: np.zeros(shape, dtype=np.float16) for key, shape in tensors.items()}, str(models / name))


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model(write_parts)
    panel = window.panel

    def step():
        pickers = panel.adapter_pickers
        if not panel.model_combo.isEnabled() or len(pickers.parts) < len(_PARTS):
            QTimer.singleShot(100, step)
            return
        panel.prompt_edit.setPlainText("a harbour town at dawn, <lora:detail-tweaker:0.6>")
        pickers.set_open(True)
        pickers.add_lora("watercolor-wash", 0.8)
        pickers.add_lora("ink-linework", 0.45)
        pickers.vae_combo.setCurrentIndex(1)
        QTimer.singleShot(500, lambda: save_and_quit(app, window, "loras.png"))

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
