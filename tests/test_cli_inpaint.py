"""The command line's generative fill (``--mask``) and canvas extension (``--outpaint``), end to
end on the tiny models: real files, the engine process, pixel comparisons, one-line refusals."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_cli import assert_fails, run_cli
from test_cli_image_to_image import home, noise_png  # noqa: F401  (home: the autouse fixture, cwd in the test home)

from atelier.core.metadata import read_recipe
from atelier.core.project_io import ProjectArchive

TINY = ("--steps", "2", "--seed", "5", "--generation-side", "64")



def mask_png(path: Path, size=(64, 48), box=(16, 12, 48, 36), mode="L", colour=255) -> Path:
    image = Image.new(mode, size, 0)
    image.paste(colour, box)
    image.save(path)
    return path


def pixels(path: Path, mode="RGB") -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert(mode))


def fill(capsys, model, init, mask, out, *options):
    return run_cli(capsys, "generate", "--model", model, "--prompt", "a red boat", *TINY,
                   "--init-image", init, "--mask", mask, "--out", out, *options)


def test_mask_repaints_only_the_white_area_and_writes_a1111_metadata(capsys, tmp_path, sd15_dir):
    init, out = noise_png(tmp_path / "start.png"), tmp_path / "out.png"
    code, stdout, err = fill(capsys, sd15_dir, init, mask_png(tmp_path / "mask.png"), out,
                             "--fill-mode", "remove", "--grow", "2", "--feather", "3")
    assert code == 0, err
    result, before = pixels(out), pixels(init)
    painted = np.zeros((48, 64), bool)
    painted[12:36, 16:48] = True
    assert result.shape == before.shape and np.array_equal(result[~painted], before[~painted])
    assert (result[20:28, 24:40] != before[20:28, 24:40]).any(axis=-1).all()
    recipe = read_recipe(out)
    assert recipe.task == "inpaint" and recipe.request.fill_mode == "remove" and recipe.request.feather == 3
    with Image.open(out) as image:
        parameters = image.text["parameters"]
    assert "Denoising strength: 1, Mask blur: 3," in parameters


def test_outpaint_extends_the_picture_keeps_the_original_and_reproduces(capsys, tmp_path, sd15_dir):
    init, project = noise_png(tmp_path / "start.png"), tmp_path / "work.atelier"
    code, _stdout, err = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "a wide harbour", *TINY,
                                 "--init-image", init, "--outpaint", "16,0,24,8", "--project", project,
                                 "--out", tmp_path / "wide.png")
    assert code == 0, err
    wide = pixels(tmp_path / "wide.png")
    assert wide.shape == (48 + 8, 64 + 16 + 24, 3)
    assert np.array_equal(wide[0:48, 16:80], pixels(init))  # the original area, bit for bit
    assert wide[:, :16].std() > 0  # the new area is generated, not left flat
    recipe = read_recipe(tmp_path / "wide.png")
    assert recipe.request.fill_mode == "expand" and recipe.request.strength == 1.0
    with ProjectArchive(project) as archive:
        [(_entry, output)] = list(archive.project.outputs())
    code, stdout, err = run_cli(capsys, "generate", "--from", f"{project}:{output.id[:8]}")
    assert code == 0, err
    assert "identical: every pixel matches" in stdout


def test_from_a_bare_png_takes_the_picture_and_the_mask_again(capsys, tmp_path, sd15_dir):
    init, mask, out = noise_png(tmp_path / "start.png"), mask_png(tmp_path / "mask.png"), tmp_path / "out.png"
    assert fill(capsys, sd15_dir, init, mask, out)[0] == 0
    assert_fails(run_cli(capsys, "generate", "--from", out, "--init-image", init), 2, "a mask", "--mask FILE")
    code, stdout, err = run_cli(capsys, "generate", "--from", out, "--init-image", init, "--mask", mask)
    assert code == 0, err
    assert "out.png: identical" in stdout


def test_a_mask_of_another_size_in_colour_with_alpha_is_scaled_and_read_by_brightness(capsys, tmp_path, sd15_dir):
    init = noise_png(tmp_path / "start.png")
    mask = mask_png(tmp_path / "big.png", (128, 96), (32, 24, 96, 72), "RGBA", (255, 200, 0, 255))
    code, _stdout, err = fill(capsys, sd15_dir, init, mask, tmp_path / "out.png")
    assert code == 0, err
    assert "note: --mask big.png: transparent areas read as not painted" in err
    assert "note: --mask big.png: a colour picture: its brightness used" in err
    assert "warning: the mask is 128x96 and the image 64x48: the mask was scaled to fit" in err
    assert np.array_equal(pixels(tmp_path / "out.png")[:8], pixels(init)[:8])


def test_an_empty_mask_is_one_line_exit_2(capsys, tmp_path, sd15_dir):
    empty = mask_png(tmp_path / "empty.png", colour=0)
    assert_fails(fill(capsys, sd15_dir, noise_png(tmp_path / "a.png"), empty, tmp_path / "o.png"), 2,
                 "the mask is empty: paint where to generate")
    assert not (tmp_path / "o.png").exists()


def test_a_corrupt_mask_is_one_line_exit_2(capsys, tmp_path, sd15_dir):
    broken = tmp_path / "broken.png"
    broken.write_bytes(mask_png(tmp_path / "whole.png").read_bytes()[:60])
    assert_fails(fill(capsys, sd15_dir, noise_png(tmp_path / "a.png"), broken, tmp_path / "o.png"), 2,
                 "mask broken.png", "cannot be read")


@pytest.mark.parametrize("options, words", [
    (("--mask", "m.png"), ("--mask", "--init-image FILE")),
    (("--outpaint", "8,0,0,0"), ("--outpaint", "--init-image FILE")),
    (("--init-image", "a.png", "--outpaint", "4000,0,100,0"), ("4164x48", "largest side (4096)")),
    (("--init-image", "a.png", "--mask", "m.png", "--outpaint", "8,0,0,0"), ("choose one",)),
    (("--init-image", "a.png", "--fill-mode", "add"), ("--fill-mode", "--mask FILE")),
])
def test_fill_options_that_cannot_work_are_one_line_exit_2(capsys, tmp_path, sd15_dir, options, words):
    noise_png(tmp_path / "a.png")
    mask_png(tmp_path / "m.png")
    result = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "x", *TINY, "--out", tmp_path / "o.png",
                     *[str(tmp_path / o) if o.endswith(".png") else o for o in options])
    assert_fails(result, 2, *words)


def test_outpaint_sides_must_be_four_pixel_counts(capsys, tmp_path, sd15_dir):
    result = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "x", "--init-image", tmp_path / "a.png",
                     "--outpaint", "8,8", "--out", tmp_path / "o.png")
    code, _out, err = result
    assert code == 2 and "LEFT,TOP,RIGHT,BOTTOM" in err
