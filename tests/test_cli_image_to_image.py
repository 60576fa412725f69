"""The command line's image-to-image (``--init-image``) and ``generate --from``, end to end on
the tiny models: real files, the engine process, pixel comparisons."""

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_cli import assert_fails, install, run_cli

from atelier.core.metadata import read_recipe, save_png
from atelier.core.project_io import ProjectArchive

FIXTURES = Path(__file__).parent / "fixtures" / "0.1.0"
TINY = ("--steps", "4", "--seed", "5")


@pytest.fixture(autouse=True)
def home(user_home, monkeypatch):
    monkeypatch.chdir(user_home)
    return user_home


def noise_png(path: Path, size=(64, 48), mode="RGB") -> Path:
    data = np.random.default_rng(1).integers(0, 256, (size[1], size[0], len(mode)), dtype=np.uint8)
    Image.fromarray(data, mode).save(path)
    return path


def rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_init_image_makes_an_image_to_image_png_whose_size_follows_it(capsys, tmp_path, sd15_dir):
    init = noise_png(tmp_path / "start.png", (100, 60))
    out = tmp_path / "out.png"
    code, stdout, err = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "a harbour", *TINY,
                                "--init-image", init, "--strength", "0.5", "--out", out)
    assert code == 0, err
    recipe = read_recipe(out)
    assert recipe.task == "image-to-image" and recipe.request.strength == 0.5
    assert (recipe.request.width, recipe.request.height) == (104, 64)  # aspect kept, multiples of 8
    with Image.open(out) as image:
        assert image.size == (104, 64) and "Denoising strength: 0.5" in image.text["parameters"]


def test_strength_0_gives_the_init_image_back_pixel_for_pixel(capsys, tmp_path, sd15_dir):
    init = noise_png(tmp_path / "start.png", (64, 48))
    out = tmp_path / "same.png"
    code, _out, err = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "x", *TINY,
                              "--init-image", init, "--strength", "0", "--out", out)
    assert code == 0, err
    assert np.array_equal(rgb(out), rgb(init))


def test_a_corrupt_init_image_is_one_line_exit_2(capsys, tmp_path, sd15_dir):
    bad = tmp_path / "broken.png"
    bad.write_bytes(noise_png(tmp_path / "whole.png").read_bytes()[:100])
    result = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "x", *TINY, "--init-image", bad,
                     "--out", tmp_path / "o.png")
    assert_fails(result, 2, "broken.png")


def test_from_a_project_output_reproduces_it_with_its_init_image(capsys, tmp_path, sd15_dir):
    install(sd15_dir)
    project = tmp_path / "work.atelier"
    init = noise_png(tmp_path / "start.png")
    code, _out, err = run_cli(capsys, "generate", "--model", "tiny-sd15", "--prompt", "a harbour", *TINY,
                              "--init-image", init, "--project", project)
    assert code == 0, err
    init.unlink()  # the project holds it
    with ProjectArchive(project) as archive:
        [(entry, output)] = list(archive.project.outputs())
        assert entry.parameters["task"] == "image-to-image"
        assert archive.read(entry.parameters["init_image"])  # stored before the job ran
    again = tmp_path / "again.png"
    code, stdout, err = run_cli(capsys, "generate", "--from", f"{project}:{output.id[:8]}", "--out", again)
    assert code == 0, err
    assert "identical: every pixel matches" in stdout and again.is_file()


def test_from_a_bare_png_made_from_an_init_image_says_what_is_missing(capsys, tmp_path, sd15_dir):
    init = noise_png(tmp_path / "start.png")
    out = tmp_path / "made.png"
    assert run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "a harbour", *TINY,
                   "--init-image", init, "--out", out)[0] == 0
    assert_fails(run_cli(capsys, "generate", "--from", out), 2, "init image", "--init-image FILE", "--from PROJECT")
    code, stdout, err = run_cli(capsys, "generate", "--from", out, "--init-image", init)
    assert code == 0, err
    assert "made.png: identical" in stdout
    other = noise_png(tmp_path / "other.png", (32, 32))
    assert_fails(run_cli(capsys, "generate", "--from", out, "--init-image", other), 2, "other.png",
                 "not the picture")


def test_from_a_png_made_by_0_1_0_reproduces_it_pixel_for_pixel(capsys, tmp_path, sd15_dir):
    install(sd15_dir)  # found by fingerprint: the recipe's path is long gone
    copy = Path(shutil.copy(FIXTURES / "made-by-0.1.0.png", tmp_path / "fox.png"))
    code, stdout, err = run_cli(capsys, "generate", "--from", copy)
    assert code == 0, err
    assert "fox.png: identical: every pixel matches" in stdout


def test_from_a_0_1_0_project_output(capsys, tmp_path, sd15_dir):
    install(sd15_dir, "renamed")  # another name and path: the fingerprint finds it
    project = Path(shutil.copy(FIXTURES / "made-by-0.1.0.atelier", tmp_path / "old.atelier"))
    code, info, _err = run_cli(capsys, "project", "info", project, "--json")
    first = json.loads(info)["entries"][0]["outputs"][0]["id"]
    code, stdout, err = run_cli(capsys, "generate", "--from", f"{project}:{first}")
    assert code == 0, err
    assert "identical" in stdout


def test_from_without_the_model_says_how_to_supply_it(capsys, tmp_path):
    recipe = read_recipe(FIXTURES / "made-by-0.1.0.png")
    gone = dataclasses.replace(recipe, model=dataclasses.replace(recipe.model, path=str(tmp_path / "gone")))
    copy = tmp_path / "fox.png"
    with Image.open(FIXTURES / "made-by-0.1.0.png") as image:
        save_png(image, copy, gone)
    assert_fails(run_cli(capsys, "generate", "--from", copy), 3, "is not among the models", "--model")


def test_from_an_image_without_a_recipe_is_one_line(capsys, tmp_path):
    plain = noise_png(tmp_path / "plain.png")
    assert_fails(run_cli(capsys, "generate", "--from", plain), 2, "plain.png", "no Atelier recipe")


def test_from_an_unknown_output_id_is_one_line(capsys, tmp_path):
    project = Path(shutil.copy(FIXTURES / "made-by-0.1.0.atelier", tmp_path / "old.atelier"))
    assert_fails(run_cli(capsys, "generate", "--from", f"{project}:ffffffff"), 2, "no output")
