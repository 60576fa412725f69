"""``atelier generate`` with a LoRA (by tag) and a ControlNet (a sketch), end to end through the
engine process: the project's recipe records both by fingerprint, the PNG carries A1111's LoRA
tag and "Lora hashes", and ``--from`` makes the output again pixel for pixel."""

import numpy as np
import pytest
import tiny_models
import torch
from PIL import Image
from safetensors.torch import save_file
from test_cli import TINY, install, run_cli
from test_cli_image_to_image import home  # noqa: F401  (the autouse fixture: a test home of its own)

from atelier import paths
from atelier.core.project_io import ProjectArchive
from atelier.models.hashes import file_hashes


@pytest.fixture
def parts(sd15_dir, user_home):
    """A LoRA for the tiny model in models/Lora, a ControlNet folder in models/ControlNet, a sketch."""
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(sd15_dir / "unet"))
    generator = torch.Generator().manual_seed(5)
    tensors = {}
    for name, module in unet.named_modules():
        if isinstance(module, torch.nn.Linear) and name.endswith(("to_q", "to_k", "to_v")):
            tensors[f"unet.{name}.lora_A.weight"] = torch.randn(4, module.in_features, generator=generator)
            tensors[f"unet.{name}.lora_B.weight"] = torch.randn(module.out_features, 4, generator=generator)
    lora = paths.models_dir() / "Lora" / "Ink Wash.safetensors"
    lora.parent.mkdir(parents=True)
    save_file(tensors, str(lora), metadata={"modelspec.architecture": "stable-diffusion-v1/lora"})
    tiny_models.build_controlnet(sd15_dir, paths.models_dir() / "ControlNet" / "scribble", seed=1)
    sketch = np.zeros((48, 64), np.uint8)
    sketch[10:38, 20:23] = 255
    Image.fromarray(sketch).save(user_home / "sketch.png")
    return lora


def test_a_lora_by_tag_and_a_sketch_guide_the_picture_and_come_back_from_the_recipe(capsys, tmp_path, sd15_dir,
                                                                                   parts):
    install(sd15_dir)
    bare = tmp_path / "bare.png"
    assert run_cli(capsys, "generate", "--model", "tiny-sd15", "--prompt", "a harbour", *TINY, "--seed", "4",
                   "--out", bare)[0] == 0
    project = tmp_path / "work.atelier"
    code, _out, err = run_cli(capsys, "generate", "--model", "tiny-sd15", "--prompt", "a harbour, <lora:ink wash:0.8>",
                              *TINY, "--seed", "4", "--controlnet", "scribble:sketch.png:0.9", "--project", project,
                              "--out", tmp_path / "guided.png")
    assert code == 0, err
    with Image.open(bare) as plain, Image.open(tmp_path / "guided.png") as guided:
        assert not np.array_equal(np.asarray(plain), np.asarray(guided))
        text = guided.text["parameters"]
    lora_hash = file_hashes(parts).lora_hash
    assert text.startswith("a harbour, <lora:ink wash:0.8>\n") and f'Lora hashes: "Ink Wash: {lora_hash}"' in text

    with ProjectArchive(project) as archive:
        [(_entry, output)] = list(archive.project.outputs())
    adapters = {adapter["kind"]: adapter for adapter in output.recipe["adapters"]}
    assert adapters["lora"]["weight"] == 0.8 and adapters["lora"]["fingerprint"] == file_hashes(parts).sha256
    assert adapters["controlnet"]["weight"] == 0.9 and len(adapters["controlnet"]["fingerprint"]) == 64
    (tmp_path / "guided.png").unlink()
    code, stdout, err = run_cli(capsys, "generate", "--from", f"{project}:{output.id[:8]}", "--out",
                                tmp_path / "again.png")
    assert code == 0, err
    assert "identical: every pixel matches" in stdout

    # The LoRA's file is renamed and another with the same name takes its place: the recipe's
    # fingerprint finds the renamed one, and without it the refusal names what is missing.
    moved = parts.with_name("ink-wash-v1.safetensors")
    parts.rename(moved)
    save_file({"unet.nothing.lora_A.weight": torch.ones(4, 4)}, str(parts),
              metadata={"modelspec.architecture": "stable-diffusion-v1/lora"})
    code, stdout, err = run_cli(capsys, "generate", "--from", f"{project}:{output.id[:8]}")
    assert code == 0, err
    assert "identical: every pixel matches" in stdout
    moved.unlink()
    code, _out, err = run_cli(capsys, "generate", "--from", f"{project}:{output.id[:8]}")
    assert code != 0 and "lora Ink Wash" in err and "the file by that name has other weights" in err
