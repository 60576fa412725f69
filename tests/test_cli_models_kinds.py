"""``atelier models`` lists upscalers with the architecture and scale spandrel finds in them,
and background-removal models with their family, beside the checkpoints; an upscaler that cannot
be read (a planted pickle payload, never run) is listed as unreadable with a one-line warning."""

import json
from pathlib import Path

import tiny_matting
import tiny_upscalers
import torch
from test_cli import run_cli
from test_cli_image_to_image import home  # noqa: F401  (the autouse fixture: a test home of its own)

from atelier import paths


class _Payload:
    """Unpickling this runs code: it would create the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_models_lists_upscalers_and_matting_models_with_what_they_are(capsys):
    upscalers = paths.models_dir() / "ESRGAN"
    tiny_upscalers.esrgan_file(upscalers / "4x_tiny.pth", 4)
    tiny_upscalers.compact_file(upscalers / "2x_compact.safetensors", 2)
    (upscalers / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    marker = paths.models_dir() / "ran"
    torch.save({"weights": _Payload(marker)}, upscalers / "planted.pth")
    tiny_matting.build_matting_model(paths.models_dir() / "isnet-general-use.onnx", "isnet")
    paths.rembg_dirs()[0].mkdir(parents=True)
    tiny_matting.build_matting_model(paths.rembg_dirs()[0] / "u2netp.onnx", "u2netp")

    code, out, err = run_cli(capsys, "models", "--json")
    assert code == 0, err
    listed = {model["id"]: model for model in json.loads(out)}
    assert (listed["4x_tiny"]["kind"], listed["4x_tiny"]["architecture"], listed["4x_tiny"]["scale"]) == \
        ("upscaler", "ESRGAN", 4)
    assert (listed["2x_compact"]["architecture"], listed["2x_compact"]["scale"]) == ("RealESRGAN Compact", 2)
    assert (listed["isnet-general-use"]["kind"], listed["isnet-general-use"]["family"],
            listed["isnet-general-use"]["input_side"]) == ("matting", "isnet", 1024)
    assert (listed["u2netp"]["family"], listed["u2netp"]["source"]) == ("u2netp", "rembg")
    assert "broken" not in listed  # a truncated header: a problem line, not a model
    assert any("broken.safetensors" in line for line in err.splitlines())
    assert listed["planted"]["architecture"] == "unreadable" and not marker.exists()  # listed, never run
    assert any("planted.pth: needs code to load" in line for line in err.splitlines())

    code, out, err = run_cli(capsys, "models")
    assert code == 0, err
    rows = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()}
    assert rows["4x_tiny"][1:3] == ["upscaler", "ESRGAN 4x"]
    assert rows["u2netp"][1:3] == ["matting", "U²-Net (small)"]
