"""What the Info pane says about an output, from whatever recorded it."""

from atelier.core.metadata import a1111_parameters
from atelier.core.output_info import describe, parameters_text
from atelier.core.project import Entry, Output
from atelier.core.recipe import ModelRef, Recipe
from atelier.core.tasks import ImageToImageRequest, SongRequest

INIT = "assets/" + "a" * 64 + ".png"
MODEL = ModelRef("model-1", "tiny-sd15", "sd15", "StableDiffusionPipeline", "cdd6347689abcdef0123")


def made(request, kind="image", model=MODEL) -> tuple[Entry, Output]:
    recipe = Recipe(request, model)
    entry = Entry(prompt=request.prompt)
    output = Output(kind=kind, asset="assets/out.png", recipe=recipe.to_dict())
    entry.outputs.append(output)
    return entry, output


def rows(info) -> dict[str, str]:
    return {row.label: row.value for row in info.rows}


def test_an_image_to_image_output_reads_in_order_with_its_input_and_a1111_text():
    request = ImageToImageRequest(prompt="a lighthouse", negative_prompt="blurry", seed=42, steps=20,
                                  guidance=6.5, width=256, height=192, scheduler="DPM++ 2M Karras",
                                  init_image=INIT, strength=0.45)
    entry, output = made(request)
    info = describe(entry, output)
    assert (info.title, info.prompt, info.negative_prompt) == ("Image to image", "a lighthouse", "blurry")
    labels = [row.label for row in info.rows]
    assert labels[:7] == ["Model", "Sampler", "Steps", "Guidance", "Seed", "Size", "Strength"]
    assert rows(info)["Model"] == "tiny-sd15 · cdd6347689"
    assert rows(info)["Size"] == "256 × 192" and rows(info)["Guidance"] == "6.5" and rows(info)["Seed"] == "42"
    assert [(ref.label, ref.asset) for ref in info.inputs] == [("Init image", INIT)]
    assert "Init image" not in rows(info)  # shown as a picture, not a row
    assert (info.model_id, info.seed) == ("model-1", 42)
    assert info.settings["strength"] == 0.45 and info.settings["init_image"] == INIT
    assert "batch_size" not in info.settings  # the artist's count stays theirs
    assert info.parameters == a1111_parameters(Recipe(request, MODEL))
    assert "Denoising strength: 0.45" in info.parameters


def test_a_song_lists_its_own_fields_and_its_lyrics_as_a_block():
    entry, output = made(SongRequest(prompt="pop, female vocal", lyrics="[verse]\nline one", seconds=75.0, bpm=120,
                                     seed=3), kind="audio")
    info = describe(entry, output)
    shown = rows(info)
    assert info.title == "Song"
    assert (shown["Length"], shown["Tempo"], shown["Key"], shown["Language"]) == ("1:15", "120 BPM", "Auto", "en")
    lyrics = next(row for row in info.rows if row.label == "Lyrics")
    assert lyrics.block and lyrics.value == "[verse]\nline one"
    assert info.parameters is None  # A1111's text is for images


def test_an_imported_image_says_which_tool_its_settings_came_from():
    raw = "a cat\nNegative prompt: dog\nSteps: 12, Sampler: Euler a, CFG scale: 5, Seed: 9, Size: 512x768"
    recipe = {"tool": "a1111", "prompt": "a cat", "negative_prompt": "dog", "steps": 12, "scheduler": "Euler a",
              "guidance": 5.0, "seed": 9, "width": 512, "height": 768, "model": {"name": "dreamy", "hash": "abc123"},
              "raw": raw}
    entry = Entry(prompt="a cat", extra={"imported_from": "/pictures/cat.png"})
    output = Output(kind="image", asset="assets/cat.png", recipe=recipe)
    info = describe(entry, output)
    assert info.origin == "Imported from cat.png; its settings were read from AUTOMATIC1111 metadata."
    assert rows(info)["Model"] == "dreamy · abc123" and rows(info)["Size"] == "512 × 768"
    assert (info.model_id, info.model_name) == (None, "dreamy")
    assert info.parameters == raw  # its own text, verbatim
    assert info.settings["steps"] == 12


def test_comfyui_settings_are_written_as_a1111_text_by_the_one_writer():
    recipe = {"tool": "comfyui", "prompt": "a cat", "steps": 12, "seed": 9, "width": 512, "height": 512,
              "model": {"name": "dreamy"}}
    text = parameters_text(recipe)
    assert text.startswith("a cat\nSteps: 12") and "Seed: 9" in text and "Model: dreamy" in text


def test_an_image_with_nothing_recorded_says_where_it_came_from_and_offers_nothing_to_use():
    entry = Entry(extra={"imported_from": "/pictures/plain.jpg"})
    output = Output(kind="image", asset="assets/plain.jpg")
    info = describe(entry, output)
    assert "carries no settings" in info.origin
    assert (info.settings, info.seed, info.parameters, info.inputs) == ({}, None, None, ())
    pasted = describe(Entry(parameters={"source": "clipboard"}), output)
    assert pasted.origin == "Pasted from the clipboard."
