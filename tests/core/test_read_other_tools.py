"""NovelAI, InvokeAI 2.x, Fooocus, SwarmUI and ComfyUI's UI graph, written as each tool writes
them (tests/tool_images.py), read back exactly; and damaged input never raises."""

import copy
import json
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import tool_images as tools
from atelier.core.errors import ProjectError
from atelier.core.interop import generation_info_from_chunks, read_generation_info
from atelier.core.output_info import parameters_text, seed_reuse_problem
from atelier.core.transfer import read_image_for_import
from tool_images import LONG_SEED, NEGATIVE, PROMPT, SEED, png


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return tools.write_samples(tmp_path_factory.mktemp("samples"))


@pytest.mark.parametrize("name", [
    "A1111 PNG", "A1111 JPEG EXIF", "NovelAI PNG", "InvokeAI 2 sd-metadata", "InvokeAI 2 Dream", "InvokeAI 3+",
    "Fooocus JSON", "Fooocus A1111", "Fooocus JPEG EXIF", "SwarmUI PNG", "SwarmUI JPEG EXIF",
    "ComfyUI prompt + workflow", "ComfyUI workflow only"])
def test_each_tools_prompt_negative_and_seed_read_back_exactly(samples, name):
    path, expected = samples[name]
    notes = []
    info = read_generation_info(path, notes)
    assert (info["prompt"], info["negative_prompt"], info["seed"]) == expected
    assert notes == []


def test_novelai_settings(samples):
    info = read_generation_info(samples["NovelAI PNG"][0])
    assert info == {**info, "tool": "novelai", "steps": 28, "guidance": 5.0, "width": 832, "height": 1216,
                    "scheduler": "Euler a", "sampler_original": "k_euler_ancestral", "schedule_original": "native",
                    "model": {"name": "NovelAI Diffusion V3", "hash": "C1E3AD0D"},
                    "raw": tools.NOVELAI_CHUNKS["Comment"]}


def test_novelai_4_structured_prompt(tmp_path):
    comment = {k: v for k, v in tools.NOVELAI_COMMENT.items() if k not in ("prompt", "uc")}
    comment["v4_prompt"] = {"caption": {"base_caption": "a lighthouse", "char_captions": []}}
    comment["v4_negative_prompt"] = {"caption": {"base_caption": "fog", "char_captions": []}}
    info = read_generation_info(png(tmp_path / "v4.png", {"Software": "NovelAI", "Comment": json.dumps(comment)}))
    assert (info["prompt"], info["negative_prompt"]) == ("a lighthouse", "fog")


def test_invokeai_2_settings_and_model(samples):
    info = read_generation_info(samples["InvokeAI 2 sd-metadata"][0])
    assert info == {**info, "tool": "invokeai", "steps": 50, "guidance": 7.5, "width": 512, "height": 512,
                    "scheduler": "LMS", "sampler_original": "k_lms",
                    "model": {"name": "stable-diffusion-1.5", "hash": tools.INVOKEAI_2_METADATA["model_hash"]}}
    assert read_generation_info(samples["InvokeAI 2 Dream"][0])["raw"] == tools.DREAM


def test_invokeai_2_weighted_prompts_are_joined_as_its_gallery_shows_them(tmp_path):
    metadata = copy.deepcopy(tools.INVOKEAI_2_METADATA)
    metadata["image"]["prompt"] = [{"prompt": "a cat [blurry]", "weight": 0.7}, {"prompt": "a dog", "weight": 1.0}]
    info = read_generation_info(png(tmp_path / "blend.png", {"sd-metadata": json.dumps(metadata)}))
    assert (info["prompt"], info["negative_prompt"]) == ("a cat :0.7 a dog:1", "blurry")


def test_dream_with_quotes_in_the_prompt_and_old_compact_switches(tmp_path):
    dream = '"a sign saying "open" [dark]" -s25 -S 42 -Ak_euler_a -F'
    info = read_generation_info(png(tmp_path / "dream.png", {"Dream": dream}))
    assert (info["prompt"], info["negative_prompt"], info["seed"], info["steps"], info["scheduler"]) == (
        'a sign saying "open"', "dark", 42, 25, "Euler a")


def test_fooocus_keeps_its_64_bit_seed_and_says_it_cannot_be_reused(samples):
    for name in ("Fooocus JSON", "Fooocus A1111", "Fooocus JPEG EXIF"):
        info = read_generation_info(samples[name][0])
        assert info["tool"] == "fooocus" and info["seed"] == LONG_SEED
        assert info["seed_note"].startswith(f"Seed {LONG_SEED} is outside the 32-bit seeds")
    info = read_generation_info(samples["Fooocus JSON"][0])
    assert info == {**info, "steps": 30, "guidance": 4.0, "width": 1152, "height": 896,
                    "sampler_original": "dpmpp_2m_sde_gpu", "schedule_original": "karras",
                    "model": {"name": "juggernautXL_v8Rundiffusion", "hash": "aeb7e9e689"},
                    "loras": [{"name": "sd_xl_offset_example-lora_1.0", "weight": 0.1, "hash": "4852686128"}]}
    assert "scheduler" not in info  # Atelier has no DPM++ 2M SDE with Karras sigmas
    assert "seed_note" not in read_generation_info(samples["A1111 PNG"][0])


def test_fooocus_64_bit_seed_is_imported_as_written_and_copied_but_never_reused(samples):
    for name in ("Fooocus JSON", "Fooocus A1111", "Fooocus JPEG EXIF"):
        image = read_image_for_import(samples[name][0])
        assert image.recipe["seed"] == LONG_SEED and image.parameters["seed"] == LONG_SEED
        assert image.notes == []  # nothing was left out
    recipe = read_image_for_import(samples["Fooocus JSON"][0]).recipe
    assert f"CFG scale: 4, Seed: {LONG_SEED}, Size: 1152x896" in parameters_text(recipe)
    assert seed_reuse_problem(LONG_SEED, recipe) == (
        f"Seed {LONG_SEED} (from Fooocus) is beyond Atelier's 32-bit seeds and cannot be reused as is")
    assert seed_reuse_problem(SEED, recipe) is None


def test_fooocus_older_log_labels(tmp_path):
    log = {"Prompt": PROMPT, "Negative Prompt": NEGATIVE, "Seed": str(SEED), "Steps": 30, "Guidance Scale": 7,
           "Resolution": "(1024, 1024)", "Sampler": "euler_ancestral", "Scheduler": "normal",
           "Base Model": "sd_xl_base_1.0", "LoRA 1": "sd_xl_offset : 0.5", "Fooocus V2 Expansion": "x"}
    info = read_generation_info(png(tmp_path / "log.png", {"parameters": json.dumps(log)}))
    assert (info["prompt"], info["negative_prompt"], info["seed"], info["scheduler"]) == (
        PROMPT, NEGATIVE, SEED, "Euler a")
    assert info["loras"] == [{"name": "sd_xl_offset", "weight": 0.5}]
    assert (info["width"], info["height"]) == (1024, 1024)


def test_swarmui_settings(samples):
    info = read_generation_info(samples["SwarmUI PNG"][0])
    assert info == {**info, "tool": "swarmui", "steps": 20, "guidance": 7.0, "width": 1024, "height": 1024,
                    "scheduler": "Euler a", "model": {"name": "OfficialStableDiffusion/sd_xl_base_1.0"},
                    "loras": [{"name": "detail_tweaker", "weight": 0.8}]}


def test_comfyui_workflow_only_when_there_is_no_prompt_graph(samples):
    both = read_generation_info(samples["ComfyUI prompt + workflow"][0])
    only = read_generation_info(samples["ComfyUI workflow only"][0])
    assert both["raw"] == json.dumps(tools.COMFYUI_PROMPT) and both["raw_workflow"] == json.dumps(tools.COMFYUI_WORKFLOW)
    assert only["raw"] == json.dumps(tools.COMFYUI_WORKFLOW) and "raw_workflow" not in only
    for info in (both, only):
        assert info == {**info, "steps": 25, "guidance": 7.5, "width": 512, "height": 768, "scheduler": "Euler a",
                        "model": {"name": "v1-5-pruned-emaonly.safetensors"},
                        "loras": [{"name": "add_detail.safetensors", "weight": 0.7}]}


def test_comfyui_workflow_seed_from_a_primitive_node(tmp_path):
    workflow = copy.deepcopy(tools.COMFYUI_WORKFLOW)
    sampler = workflow["nodes"][0]
    sampler["inputs"].append({"name": "seed", "type": "INT", "link": 20, "widget": {"name": "seed"}})
    workflow["nodes"].append(tools._ui_node(20, "PrimitiveNode", [77, "fixed"]))
    workflow["links"].append({"id": 20, "origin_id": 20, "origin_slot": 0, "target_id": 3, "target_slot": 4})
    assert read_generation_info(png(tmp_path / "w.png", {"workflow": json.dumps(workflow)}))["seed"] == 77


def test_comfyui_graph_with_cycles_gives_what_it_can(tmp_path):
    graph = copy.deepcopy(tools.COMFYUI_PROMPT)
    graph["10"]["inputs"]["model"] = ["10", 0]  # a LoRA fed by itself
    graph["6"] = {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0]}}
    info = read_generation_info(png(tmp_path / "cycle.png", {"prompt": json.dumps(graph)}))
    assert (info["negative_prompt"], info["seed"]) == (NEGATIVE, SEED)
    assert "prompt" not in info and "model" not in info
    assert info["loras"] == [{"name": "add_detail.safetensors", "weight": 0.7}] * 32


# --- bad input ---------------------------------------------------------------------------


def test_zero_byte_image_is_refused_in_one_line(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ProjectError, match=r"^.*empty.png: not an image Atelier can read .*$"):
        read_image_for_import(path)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_text_after_the_pixels_is_read_and_after_the_end_ignored(tmp_path):
    path = png(tmp_path / "plain.png")
    data = path.read_bytes()
    iend = data.rindex(b"IEND") - 4
    after_pixels = chunk(b"tEXt", b"parameters\0" + tools.A1111_TEXT.encode())
    moved = tmp_path / "after.png"
    moved.write_bytes(data[:iend] + after_pixels + data[iend:])
    assert read_generation_info(moved)["seed"] == SEED
    trailing = tmp_path / "trailing.png"
    trailing.write_bytes(data + after_pixels)
    assert read_generation_info(trailing) is None


def test_truncated_image_keeps_the_text_before_its_pixels(tmp_path):
    path = png(tmp_path / "whole.png", {"parameters": tools.A1111_TEXT}, image=Image.effect_noise((256, 256), 50))
    cut = tmp_path / "cut.png"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    notes = []
    assert read_generation_info(cut, notes)["seed"] == SEED
    assert notes == ["its pixel data is damaged (image file is truncated), so only the metadata before it was read"]


def test_non_utf8_text_chunk_is_skipped(tmp_path):
    path = png(tmp_path / "plain.png")
    data = path.read_bytes()
    bad = chunk(b"iTXt", b"parameters\0\0\0\0\0" + b"a fox \xff\xfe\nSteps: 20, Seed: 5")
    odd = tmp_path / "odd.png"
    odd.write_bytes(data[:33] + bad + data[33:])
    assert read_generation_info(odd) is None


def test_a_100_mb_text_is_left_out_with_a_note():
    notes = []
    assert generation_info_from_chunks({"Comment": "x" * (100 * 1024 * 1024), "Software": "NovelAI"}, notes) is None
    assert notes == ["its 'Comment' metadata (100 MB) is longer than the 1 MB Atelier reads, so it was left out"]


@pytest.mark.parametrize("key", ["Comment", "sd-metadata", "parameters", "workflow", "prompt", "invokeai_metadata"])
@pytest.mark.parametrize("value", ["[1, 2]", '"text"', "null", "3"])
def test_json_that_is_not_an_object_gives_nothing_it_is_not(key, value):
    info = generation_info_from_chunks({key: value, "Software": "NovelAI"})
    assert info is None or (info["tool"], info["prompt"]) == ("a1111", value)  # A1111 text without settings


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=16,
)
TOOL_JSON = st.one_of(
    st.dictionaries(st.sampled_from(["prompt", "uc", "seed", "scale", "sampler", "v4_prompt"]), JSON).map(json.dumps),
    st.fixed_dictionaries({"image": st.dictionaries(st.sampled_from(["prompt", "seed", "sampler"]), JSON)}).map(
        json.dumps),
    st.fixed_dictionaries({"sui_image_params": st.dictionaries(
        st.sampled_from(["prompt", "seed", "loras", "loraweights", "width"]), JSON)}).map(json.dumps),
    st.dictionaries(st.sampled_from(["base_model", "loras", "resolution", "seed", "LoRA 1"]), JSON).map(json.dumps),
    st.fixed_dictionaries({"nodes": st.lists(st.fixed_dictionaries({
        "id": st.integers(0, 3), "type": st.sampled_from(["KSampler", "LoraLoader", "CLIPTextEncode", "X"]),
        "widgets_values": JSON, "inputs": st.lists(st.fixed_dictionaries(
            {"name": st.sampled_from(["model", "positive", "seed"]), "link": JSON}))}), max_size=4),
        "links": JSON}).map(json.dumps),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["Comment", "Description", "sd-metadata", "Dream", "parameters", "workflow"]),
       payload=st.text(max_size=120) | TOOL_JSON, software=st.sampled_from(["NovelAI", ""]))
def test_any_chunk_of_these_tools_never_raises(key, payload, software):
    notes = []
    info = generation_info_from_chunks({key: payload, "Software": software}, notes)
    assert info is None or info["raw"] == payload
    assert all("\n" not in note for note in notes)
