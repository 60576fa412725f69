"""PNG metadata: real files on disk, real Pillow, real sd-parsers."""

import dataclasses
import logging

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from recipes import make_recipe
from sd_parsers import ParserManager

from atelier import __version__
from atelier.core.metadata import a1111_parameters, png_info, read_recipe, save_png


def save_small(tmp_path, recipe, name="out.png"):
    path = tmp_path / name
    save_png(Image.new("RGB", (16, 16), (200, 120, 40)), path, recipe)
    return path


def test_parameters_text_for_a_known_recipe():
    assert a1111_parameters(make_recipe()) == (
        "a lighthouse at dusk, oil painting\n"
        "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, "
        "Size: 1024x1024, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, "
        f"Version: Atelier {__version__}"
    )


def test_parameters_text_with_negative_prompt_and_no_schedule_type():
    recipe = make_recipe(
        negative_prompt="blurry, lowres",
        scheduler="Euler a",
        guidance=7.5,
        width=832,
        height=1216,
    )
    assert a1111_parameters(recipe) == (
        "a lighthouse at dusk, oil painting\n"
        "Negative prompt: blurry, lowres\n"
        "Steps: 30, Sampler: Euler a, CFG scale: 7.5, Seed: 1234, Size: 832x1216, "
        f"Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: Atelier {__version__}"
    )


def test_negative_prompt_line_left_out_when_empty():
    text = a1111_parameters(make_recipe(negative_prompt=""))
    assert "Negative prompt" not in text
    assert text.split("\n")[0] == "a lighthouse at dusk, oil painting"
    assert text.split("\n")[1].startswith("Steps: 30, ")
    assert len(text.split("\n")) == 2


@pytest.mark.parametrize(
    "name, quoted",
    [
        ("Juggernaut XL, v9", '"Juggernaut XL, v9"'),
        ("styles: anime", '"styles: anime"'),
        ("plain_name", "plain_name"),
    ],
)
def test_model_name_with_comma_or_colon_is_json_quoted(name, quoted):
    model = dataclasses.replace(make_recipe().model, name=name)
    text = a1111_parameters(make_recipe(model=model))
    assert f", Model: {quoted}, Version: " in text


def chunk_types(info) -> dict:
    """Chunk type per key, from the raw chunks Pillow will write (key comes before a NUL)."""
    return {data.split(b"\0", 1)[0].decode("latin-1"): cid.decode() for cid, data, *_ in info.chunks}


def test_png_info_uses_plain_text_chunks_for_latin1():
    # tEXt, as A1111 writes it, so the oldest readers still see the parameters.
    assert chunk_types(png_info(make_recipe(prompt="café"))) == {
        "parameters": "tEXt",
        "atelier": "tEXt",
    }


def test_png_info_switches_to_utf8_chunks_for_non_latin_text():
    assert chunk_types(png_info(make_recipe(prompt="灯台 🌅"))) == {
        "parameters": "iTXt",
        "atelier": "iTXt",
    }


def test_save_and_read_back_round_trip(tmp_path):
    recipe = make_recipe(negative_prompt="blurry, watermark")
    path = save_small(tmp_path, recipe)

    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (16, 16)
        assert image.getpixel((3, 3)) == (200, 120, 40)
        assert image.text["parameters"] == a1111_parameters(recipe)
        assert '"atelier_metadata": 1' in image.text["atelier"]

    loaded = read_recipe(path)
    assert loaded == recipe
    assert loaded.to_dict() == recipe.to_dict()
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temp file left behind


def test_non_latin_prompt_round_trips(tmp_path):
    prompt = "夕暮れの灯台、油絵 🌅 — café"
    negative = "ぼやけた 🙅"
    recipe = make_recipe(prompt=prompt, negative_prompt=negative)
    path = save_small(tmp_path, recipe)

    with Image.open(path) as image:
        assert image.text["parameters"].startswith(f"{prompt}\nNegative prompt: {negative}\n")
        assert prompt in image.text["atelier"]  # stored as UTF-8, not \\u escapes

    loaded = read_recipe(path)
    assert loaded.request.prompt == prompt
    assert loaded.request.negative_prompt == negative
    assert loaded.to_dict() == recipe.to_dict()


def test_read_recipe_accepts_an_open_image(tmp_path):
    recipe = make_recipe(extra={"future_field": [1, 2, 3]})
    path = save_small(tmp_path, recipe)
    with Image.open(path) as image:
        loaded = read_recipe(image)
    assert loaded.extra == {"future_field": [1, 2, 3]}
    assert loaded.to_dict() == recipe.to_dict()


def test_sd_parsers_reads_it_as_a1111(tmp_path):
    recipe = make_recipe(prompt="a cat on a roof, 猫", negative_prompt="blurry, ugly", seed=987654)
    path = save_small(tmp_path, recipe)

    info = ParserManager().parse(path)

    assert info is not None
    assert info.generator.value == "AUTOMATIC1111"
    assert [p.value for p in info.prompts] == ["a cat on a roof, 猫"]
    assert [p.value for p in info.negative_prompts] == ["blurry, ugly"]
    [sampler] = info.samplers
    assert sampler.name == "DPM++ 2M"
    assert sampler.parameters == {
        "seed": "987654",
        "steps": "30",
        "cfg_scale": "7",
        "scheduler": "Karras",
    }
    assert sampler.model.name == "sd_xl_base_1.0"
    assert sampler.model.hash == "31e35c80fc"
    assert info.metadata == {"Size": "1024x1024", "Version": f"Atelier {__version__}"}


def test_read_recipe_on_png_without_chunks_is_none(tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(path)
    assert read_recipe(path) is None
    with Image.open(path) as image:
        assert read_recipe(image) is None


def test_read_recipe_ignores_other_tools_parameters(tmp_path):
    path = tmp_path / "a1111.png"
    info = PngInfo()
    info.add_text("parameters", "a dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    assert read_recipe(path) is None


@pytest.mark.parametrize(
    "garbage",
    ["{not json", "", "[1, 2]", '{"atelier_metadata": 1}', '{"recipe": {"prompt": "x"}}'],
)
def test_read_recipe_on_malformed_chunk_is_none_and_warns(tmp_path, caplog, garbage):
    path = tmp_path / "bad.png"
    info = PngInfo()
    info.add_text("atelier", garbage)
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)

    with caplog.at_level(logging.WARNING, logger="atelier.core.metadata"):
        assert read_recipe(path) is None
    assert "unreadable" in caplog.text


def test_an_inpaint_recipe_writes_denoising_strength_and_mask_blur_as_a1111():
    from atelier.core.tasks import InpaintRequest

    asset = "assets/" + "ab" * 32 + ".png"
    request = InpaintRequest(prompt="a red boat", seed=7, steps=20, guidance=6.0, width=1000, height=600,
                             scheduler="Euler a", init_image=asset, mask="assets/" + "cd" * 32 + ".png",
                             strength=0.75, grow=20, feather=12, blend=12)
    assert a1111_parameters(make_recipe(request)) == (
        "a red boat\n"
        "Steps: 20, Sampler: Euler a, CFG scale: 6, Seed: 7, Size: 1000x600, Model hash: 31e35c80fc, "
        f"Model: sd_xl_base_1.0, Denoising strength: 0.75, Mask blur: 12, Version: Atelier {__version__}"
    )
