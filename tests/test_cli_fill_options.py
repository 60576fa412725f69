"""The command line's fill controls (--fill-mode replace, --blend, --padding, --no-colour-match),
end to end on the tiny SD1.5 model: what they do to the pixels, what the recipe records, and
the one-line refusals when they cannot work."""

import numpy as np
import pytest
from test_cli import assert_fails, run_cli
from test_cli_image_to_image import home, noise_png  # noqa: F401  (home: the autouse fixture, cwd in the test home)
from test_cli_inpaint import TINY, fill, mask_png, pixels

from atelier.cli import build_parser
from atelier.core.metadata import read_recipe


def test_replace_keeps_the_subject_and_the_options_reach_the_recipe(capsys, tmp_path, sd15_dir):
    init, out = noise_png(tmp_path / "start.png"), tmp_path / "out.png"
    subject = mask_png(tmp_path / "subject.png")  # (16, 12) to (48, 36) of 64 x 48
    code, _stdout, err = fill(capsys, sd15_dir, init, subject, out, "--fill-mode", "replace", "--blend", "2",
                              "--padding", "12", "--grow", "3", "--feather", "4")
    assert code == 0, err
    result, before = pixels(out), pixels(init)
    kept = np.zeros((48, 64), bool)
    kept[12:36, 16:48] = True
    assert np.array_equal(result[kept], before[kept])  # the subject, bit for bit
    assert (result[:8] != before[:8]).any(axis=-1).mean() > 0.9  # the background, repainted
    request = read_recipe(out).request
    assert (request.fill_mode, request.blend, request.padding, request.grow, request.feather) == \
        ("replace", 2, 12, 3, 4)


def test_no_colour_match_is_recorded_and_changes_the_result(capsys, tmp_path, sd15_dir):
    init, mask = noise_png(tmp_path / "start.png"), mask_png(tmp_path / "mask.png")
    matched, plain = tmp_path / "matched.png", tmp_path / "plain.png"
    assert fill(capsys, sd15_dir, init, mask, matched, "--blend", "0")[0] == 0
    code, _stdout, err = fill(capsys, sd15_dir, init, mask, plain, "--blend", "0", "--no-colour-match")
    assert code == 0, err
    assert read_recipe(matched).request.colour_match is True
    assert read_recipe(plain).request.colour_match is False
    assert not np.array_equal(pixels(matched)[20:28, 24:40], pixels(plain)[20:28, 24:40])


def test_each_fill_option_says_what_it_does_in_the_help(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate", "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # as one line: the help wraps anywhere
    assert "replace (the mask is the subject to keep; everything else, the background, is repainted)" in shown
    assert "--blend BLEND pixels inside the mask's edge over which the result fades into the original" in shown
    assert "--padding PADDING pixels of the picture around the mask the model sees" in shown
    assert "--no-colour-match keep the generated colours as they come" in shown


@pytest.mark.parametrize("options, words", [
    (("--init-image", "a.png", "--padding", "8"), ("--padding", "--mask FILE")),
    (("--init-image", "a.png", "--blend", "8"), ("--blend", "--mask FILE")),
    (("--init-image", "a.png", "--no-colour-match"), ("--no-colour-match", "--mask FILE")),
    (("--init-image", "a.png", "--mask", "m.png", "--padding", "-1"), ("padding -1: must be between 0 and 4096",)),
    (("--init-image", "a.png", "--mask", "m.png", "--blend", "300"), ("blend 300: must be between 0 and 256",)),
    (("--init-image", "a.png", "--mask", "whole.png", "--fill-mode", "replace"), ("nothing is left to repaint",)),
    (("--init-image", "a.png", "--mask", "none.png", "--fill-mode", "replace"), ("paint the subject to keep",)),
    (("--init-image", "a.png", "--outpaint", "8,0,0,0", "--fill-mode", "replace"), ("--outpaint has none",)),
])
def test_fill_options_that_cannot_work_are_one_line_exit_2(capsys, tmp_path, sd15_dir, options, words):
    noise_png(tmp_path / "a.png")
    mask_png(tmp_path / "m.png")
    mask_png(tmp_path / "whole.png", box=(0, 0, 64, 48))
    mask_png(tmp_path / "none.png", colour=0)
    result = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "x", *TINY, "--out", tmp_path / "o.png",
                     *[str(tmp_path / o) if o.endswith(".png") else o for o in options])
    assert_fails(result, 2, *words)
    assert not (tmp_path / "o.png").exists()
