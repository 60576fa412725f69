"""``atelier upscale`` end to end: real upscaler files (tests/tiny_upscalers.py) and Lanczos,
through the engine process, written atomically, stored in a project, made again with
``generate --from``; what cannot be done is refused in one line before the engine starts."""

from pathlib import Path

import numpy as np
import tiny_upscalers
from PIL import Image
from test_cli import assert_fails, install, line_naming, run_cli
from test_cli_image_to_image import home, noise_png  # noqa: F401  (home: the autouse fixture, cwd in the test home)

from atelier.core.metadata import read_recipe
from atelier.core.project_io import ProjectArchive


class _Payload:
    """Unpickling this runs code: it would create the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_an_upscaler_file_makes_the_picture_larger_into_the_project_and_again(capsys, tmp_path):
    model = tiny_upscalers.esrgan_file(tmp_path / "ESRGAN" / "2x_tiny.pth", 2)
    picture, out, project = noise_png(tmp_path / "in.png", (90, 70)), tmp_path / "big.png", tmp_path / "work.atelier"
    code, stdout, err = run_cli(capsys, "upscale", "--model", model, "--scale", "2", "--tile", "64", "--overlap", "16",
                                "--project", project, picture, out)
    assert code == 0, err
    assert line_naming(stdout, out).endswith("upscaled 2x with 2x_tiny")
    with Image.open(out) as image:
        assert image.size == (180, 140) and image.mode == "RGB"
    recipe = read_recipe(out)
    assert recipe.task == "upscale" and recipe.model.family == "ESRGAN" and recipe.model.path == str(model)
    assert (recipe.request.tile, recipe.request.overlap, recipe.request.upscaler) == (64, 16, "2x_tiny")
    with ProjectArchive(project) as archive:
        [(entry, output)] = list(archive.project.outputs())
        assert archive.read(output.asset) == out.read_bytes()
        assert archive.read(recipe.request.image)  # the source picture its recipe names is in the project
    code, stdout, err = run_cli(capsys, "generate", "--from", out, "--init-image", picture)
    assert code == 0, err
    assert "big.png: identical" in stdout


def test_lanczos_says_not_ai_keeps_transparency_and_is_made_again_from_the_project(capsys, tmp_path):
    picture, out, project = noise_png(tmp_path / "in.png", (40, 30), "RGBA"), tmp_path / "big.png", \
        tmp_path / "work.atelier"
    code, stdout, err = run_cli(capsys, "upscale", "--model", "lanczos", "--scale", "4", "--project", project,
                                picture, out)
    assert code == 0, err
    assert line_naming(stdout, out).endswith("upscaled 4x with Lanczos (not AI)")
    assert "(not AI)" in err  # the engine's notice, as a warning
    with Image.open(out) as image, Image.open(picture) as source:
        assert image.size == (160, 120) and image.mode == "RGBA"
        expected = source.resize((160, 120), Image.Resampling.LANCZOS)
        assert np.array_equal(np.asarray(image), np.asarray(expected))
    assert read_recipe(out).model.family == "lanczos"
    with ProjectArchive(project) as archive:
        [(entry, output)] = list(archive.project.outputs())
    assert entry.model["name"] == "Lanczos (not AI)"
    code, stdout, err = run_cli(capsys, "generate", "--from", f"{project}:{output.id[:8]}")
    assert code == 0, err
    assert "identical: every pixel matches" in stdout


def test_what_cannot_be_done_is_refused_in_one_line(capsys, tmp_path, sd15_dir):
    picture, out = noise_png(tmp_path / "in.png", (40, 30)), tmp_path / "big.png"
    assert_fails(run_cli(capsys, "upscale", "--model", sd15_dir, picture, out), 3, "not an upscaler", "lanczos")
    assert_fails(run_cli(capsys, "upscale", "--model", "lanczos", "--strength", "0.3", picture, out), 2,
                 "--strength", "--refine-model")
    assert_fails(run_cli(capsys, "upscale", "--model", "lanczos", picture, tmp_path / "big.jpg"), 2, ".png")
    wide = noise_png(tmp_path / "wide.png", (2500, 16))
    assert_fails(run_cli(capsys, "upscale", "--model", "lanczos", "--scale", "8", wide, out), 2,
                 "20000x128", "8192", "smaller scale")
    tiny = noise_png(tmp_path / "dot.png", (1, 1))
    assert_fails(run_cli(capsys, "upscale", "--model", "lanczos", tiny, out), 2, "dot.png", "too small")
    assert not out.exists()


def test_a_pth_that_needs_code_is_refused_by_the_engine_and_never_run(capsys, tmp_path):
    import torch

    marker = tmp_path / "payload-ran"
    model = tmp_path / "upscale_models" / "4x_trap.pth"
    model.parent.mkdir()
    torch.save({**tiny_upscalers.esrgan_state_dict(2), "trap": _Payload(marker)}, model)
    picture, out = noise_png(tmp_path / "in.png", (40, 30)), tmp_path / "big.png"
    assert_fails(run_cli(capsys, "upscale", "--model", model, picture, out), 3,
                 "4x_trap.pth: needs code to load, which Atelier never runs; convert it to .safetensors")
    assert not marker.exists() and not out.exists()


def test_refine_redraws_the_upscaled_picture_records_its_model_and_is_made_again(capsys, tmp_path, sd15_dir):
    picture, out = noise_png(tmp_path / "in.png", (32, 24)), tmp_path / "big.png"
    install(sd15_dir, "refiner")  # by id, as --from finds it again
    code, stdout, err = run_cli(capsys, "upscale", "--model", "lanczos", "--refine-model", "refiner",
                                "--strength", "0.5", "--steps", "2", "--prompt", "a harbour", "--seed", "7",
                                picture, out)
    assert code == 0, err
    assert line_naming(stdout, out).endswith("upscaled 2x with Lanczos (not AI)  seed 7")
    recipe = read_recipe(out)
    assert recipe.request.refine and recipe.request.refine_strength == 0.5 and recipe.request.seed == 7
    [adapter] = recipe.adapters
    assert (adapter.kind, adapter.name, len(adapter.fingerprint)) == ("refine", "refiner", 64)
    with Image.open(out) as image, Image.open(picture) as source:
        plain = source.resize((64, 48), Image.Resampling.LANCZOS)
        assert image.size == (64, 48) and not np.array_equal(np.asarray(image), np.asarray(plain))
    code, stdout, err = run_cli(capsys, "generate", "--from", out, "--init-image", picture)
    assert code == 0, err
    assert "big.png: identical" in stdout
