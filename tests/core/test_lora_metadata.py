"""The LoRAs an output's recipe records, in the A1111 ``parameters`` text: a ``<lora:name:weight>``
tag in the prompt for each the prompt does not tag yet, and ``Lora hashes`` as A1111 writes it,
which A1111 readers read back."""

from PIL import Image
from recipes import make_recipe
from sd_parsers import ParserManager

from atelier.core.interop import generation_info_from_chunks
from atelier.core.metadata import a1111_parameters, save_png
from atelier.core.output_info import parameters_text
from atelier.core.recipe import Adapter

DETAIL = Adapter(kind="lora", name="add_detail", fingerprint="7c" * 32, weight=0.6, id="add_detail",
                 path="/loras/add_detail.safetensors", short_hash="7c6bad76eb54")
BLOSSOM = Adapter(kind="lora", name="blossom_style", fingerprint="1a" * 32, weight=1.0, id="blossom_style",
                  path="/loras/blossom_style.safetensors", short_hash="1a2b3c4d5e6f")
VAE = Adapter(kind="vae", name="vae-ft-mse", fingerprint="9f" * 32, id="vae-ft-mse", short_hash="")


def test_the_prompt_tags_each_lora_once_and_lora_hashes_follows_a1111s_order():
    recipe = make_recipe(prompt="night sky <lora:add_detail:0.6>", adapters=(DETAIL, BLOSSOM, VAE))
    prompt, settings = a1111_parameters(recipe).split("\n")
    assert prompt == "night sky <lora:add_detail:0.6>, <lora:blossom_style:1>"
    assert 'Lora hashes: "add_detail: 7c6bad76eb54, blossom_style: 1a2b3c4d5e6f", Version: Atelier' in settings
    assert settings.index("Model: sd_xl_base_1.0") < settings.index("Lora hashes")


def test_without_loras_the_text_is_unchanged():
    plain = a1111_parameters(make_recipe())
    assert plain == a1111_parameters(make_recipe(adapters=(VAE,)))
    assert "<lora:" not in plain and "Lora hashes" not in plain


def test_our_reader_and_sd_parsers_read_the_loras_back(tmp_path):
    recipe = make_recipe(prompt="night sky", adapters=(DETAIL, BLOSSOM))
    info = generation_info_from_chunks({"parameters": a1111_parameters(recipe)})
    assert info["tool"] == "a1111" and info["loras"] == [
        {"name": "add_detail", "weight": 0.6, "hash": "7c6bad76eb54"},
        {"name": "blossom_style", "weight": 1.0, "hash": "1a2b3c4d5e6f"},
    ]
    path = tmp_path / "out.png"
    save_png(Image.new("RGB", (8, 8)), path, recipe)
    parsed = ParserManager().parse(path)
    assert parsed.generator.value == "AUTOMATIC1111"
    # It splits quoted values at their commas (A1111's own files too), so only the prompt is checked.
    assert [prompt.value for prompt in parsed.prompts] == ["night sky, <lora:add_detail:0.6> <lora:blossom_style:1>"]


def test_the_history_shows_the_same_text_for_a_stored_recipe():
    recipe = make_recipe(adapters=(DETAIL,))
    assert parameters_text(recipe.to_dict()) == a1111_parameters(recipe)
    assert "<lora:add_detail:0.6>" in parameters_text(recipe.to_dict())


def test_a_name_with_a_colon_or_comma_keeps_the_hash_list_readable():
    odd = Adapter(kind="lora", name="style: v2, final", fingerprint="ab" * 32, weight=1.0, short_hash="abcdef012345")
    settings = a1111_parameters(make_recipe(adapters=(odd,))).split("\n")[-1]
    assert 'Lora hashes: "style v2 final: abcdef012345"' in settings
