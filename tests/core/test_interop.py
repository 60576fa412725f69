"""Reading other tools' metadata: real PNG/JPEG files written with Pillow, sample chunks as
each tool writes them."""

import copy
import json
import re
import struct
import time
import zlib

import pytest
import recipes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from atelier.core import interop
from atelier.core.interop import read_generation_info
from atelier.core.metadata import a1111_parameters, save_png
from atelier.core.recipe import Recipe, settings_of
from atelier.core.schedulers import SCHEDULER_NAMES

# --- samples, laid out exactly as each tool writes them ------------------------------------

A1111_TEXT = (
    "masterpiece, best quality, 1girl, silver hair, (looking at viewer:1.2),\n"
    "cherry blossoms, night sky <lora:add_detail:0.6> <lora:blossom_style:0.8>\n"
    "Negative prompt: (worst quality, low quality:1.4), watermark,\n"
    "signature, extra fingers\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3141592653, "
    "Size: 832x1216, Model hash: 4496b36d48, Model: dreamshaperXL_v21TurboDPMSDE, "
    "VAE hash: 63aeecb90f, VAE: sdxl_vae.safetensors, Denoising strength: 0.45, Clip skip: 2, "
    "Hires upscale: 1.5, Hires steps: 12, Hires upscaler: 4x-UltraSharp, "
    'Lora hashes: "add_detail: 7c6bad76eb54, blossom_style: 1a2b3c4d5e6f", '
    'TI hashes: "easynegative: c74b4e810b03", Version: v1.10.1'
)

# ComfyUI's default text-to-image graph, API form (the ``prompt`` chunk), with SD 1.5.
COMFYUI_PROMPT = {
    "3": {
        "inputs": {
            "seed": 156680208700286,
            "steps": 25,
            "cfg": 7.5,
            "sampler_name": "dpmpp_2m",
            "scheduler": "karras",
            "denoise": 1,
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
        "class_type": "KSampler",
        "_meta": {"title": "KSampler"},
    },
    "4": {
        "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"},
        "class_type": "CheckpointLoaderSimple",
        "_meta": {"title": "Load Checkpoint"},
    },
    "5": {
        "inputs": {"width": 512, "height": 768, "batch_size": 1},
        "class_type": "EmptyLatentImage",
        "_meta": {"title": "Empty Latent Image"},
    },
    "6": {
        "inputs": {
            "text": "beautiful scenery nature glass bottle landscape, purple galaxy bottle,",
            "clip": ["4", 1],
        },
        "class_type": "CLIPTextEncode",
        "_meta": {"title": "CLIP Text Encode (Prompt)"},
    },
    "7": {
        "inputs": {"text": "text, watermark", "clip": ["4", 1]},
        "class_type": "CLIPTextEncode",
        "_meta": {"title": "CLIP Text Encode (Prompt)"},
    },
    "8": {
        "inputs": {"samples": ["3", 0], "vae": ["4", 2]},
        "class_type": "VAEDecode",
        "_meta": {"title": "VAE Decode"},
    },
    "9": {
        "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]},
        "class_type": "SaveImage",
        "_meta": {"title": "Save Image"},
    },
}

# The UI graph (the ``workflow`` chunk), trimmed to two nodes: it holds layout, not values.
COMFYUI_WORKFLOW = {
    "last_node_id": 9,
    "last_link_id": 9,
    "nodes": [
        {
            "id": 3,
            "type": "KSampler",
            "pos": [863, 186],
            "size": [315, 262],
            "flags": {},
            "order": 4,
            "mode": 0,
            "inputs": [{"name": "model", "type": "MODEL", "link": 1}],
            "outputs": [{"name": "LATENT", "type": "LATENT", "links": [7], "slot_index": 0}],
            "properties": {"Node name for S&R": "KSampler"},
            "widgets_values": [156680208700286, "randomize", 25, 7.5, "dpmpp_2m", "karras", 1],
        },
        {
            "id": 9,
            "type": "SaveImage",
            "pos": [1451, 189],
            "size": [210, 270],
            "flags": {},
            "order": 6,
            "mode": 0,
            "inputs": [{"name": "images", "type": "IMAGE", "link": 9}],
            "properties": {},
            "widgets_values": ["ComfyUI"],
        },
    ],
    "links": [[1, 4, 0, 3, 0, "MODEL"], [9, 8, 0, 9, 0, "IMAGE"]],
    "groups": [],
    "config": {},
    "extra": {"ds": {"scale": 1, "offset": [0, 0]}},
    "version": 0.4,
}

# SDXL base + refiner: the refiner sampler has the lower id and starts from the base's
# latent; a LoRA sits between checkpoint and base sampler; ControlNet wraps the conditioning.
COMFYUI_SDXL_PROMPT = {
    "4": {"inputs": {"ckpt_name": "SDXL/sd_xl_base_1.0.safetensors"}, "class_type": "CheckpointLoaderSimple"},
    "5": {"inputs": {"width": 1024, "height": 1344, "batch_size": 1}, "class_type": "EmptyLatentImage"},
    "6": {
        "inputs": {
            "width": 4096,
            "height": 4096,
            "crop_w": 0,
            "crop_h": 0,
            "target_width": 4096,
            "target_height": 4096,
            "text_g": "a cozy cabin in a snowy forest, warm light",
            "text_l": "a cozy cabin in a snowy forest, warm light",
            "clip": ["40", 1],
        },
        "class_type": "CLIPTextEncodeSDXL",
    },
    "7": {
        "inputs": {
            "width": 4096,
            "height": 4096,
            "crop_w": 0,
            "crop_h": 0,
            "target_width": 4096,
            "target_height": 4096,
            "text_g": "blurry, lowres",
            "text_l": "jpeg artifacts",
            "clip": ["40", 1],
        },
        "class_type": "CLIPTextEncodeSDXL",
    },
    "10": {
        "inputs": {
            "add_noise": "disable",
            "noise_seed": 0,
            "steps": 40,
            "cfg": 5,
            "sampler_name": "euler",
            "scheduler": "normal",
            "start_at_step": 32,
            "end_at_step": 10000,
            "return_with_leftover_noise": "disable",
            "model": ["12", 0],
            "positive": ["15", 0],
            "negative": ["16", 0],
            "latent_image": ["22", 0],
        },
        "class_type": "KSamplerAdvanced",
    },
    "12": {"inputs": {"ckpt_name": "sd_xl_refiner_1.0.safetensors"}, "class_type": "CheckpointLoaderSimple"},
    "15": {"inputs": {"text": "a cozy cabin", "clip": ["12", 1]}, "class_type": "CLIPTextEncode"},
    "16": {"inputs": {"text": "blurry", "clip": ["12", 1]}, "class_type": "CLIPTextEncode"},
    "22": {
        "inputs": {
            "add_noise": "enable",
            "noise_seed": 721897303308196,
            "steps": 40,
            "cfg": 6.5,
            "sampler_name": "euler_ancestral",
            "scheduler": "normal",
            "start_at_step": 0,
            "end_at_step": 32,
            "return_with_leftover_noise": "enable",
            "model": ["40", 0],
            "positive": ["50", 0],
            "negative": ["50", 1],
            "latent_image": ["5", 0],
        },
        "class_type": "KSamplerAdvanced",
    },
    "40": {
        "inputs": {
            "lora_name": "detail_tweaker_xl.safetensors",
            "strength_model": 0.8,
            "strength_clip": 0.8,
            "model": ["4", 0],
            "clip": ["4", 1],
        },
        "class_type": "LoraLoader",
    },
    "50": {
        "inputs": {
            "strength": 0.6,
            "start_percent": 0,
            "end_percent": 1,
            "positive": ["6", 0],
            "negative": ["7", 0],
            "control_net": ["51", 0],
            "image": ["52", 0],
        },
        "class_type": "ControlNetApplyAdvanced",
    },
    "51": {"inputs": {"control_net_name": "controlnet-canny-sdxl.safetensors"}, "class_type": "ControlNetLoader"},
    "52": {"inputs": {"image": "cabin_sketch.png", "upload": "image"}, "class_type": "LoadImage"},
}

# InvokeAI 4.x ``invokeai_metadata``.
INVOKEAI_METADATA = {
    "generation_mode": "sdxl_txt2img",
    "positive_prompt": "a red fox in fresh snow, national geographic photo, 85mm",
    "negative_prompt": "cartoon, painting, lowres",
    "width": 1152,
    "height": 896,
    "seed": 2389412087,
    "rand_device": "cpu",
    "cfg_scale": 6,
    "cfg_rescale_multiplier": 0,
    "steps": 35,
    "scheduler": "dpmpp_2m_k",
    "model": {
        "key": "9b1f4c62-8a2e-4d1e-9a0c-5f3e2d1c0b7a",
        "hash": "blake3:4f5e9c1a0d2b3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
        "name": "Juggernaut XL v9",
        "base": "sdxl",
        "type": "main",
    },
    "positive_style_prompt": "a red fox in fresh snow",
    "negative_style_prompt": "cartoon",
    "app_version": "4.2.4",
}

def make_recipe(**changes) -> Recipe:
    return recipes.make_recipe(**{"negative_prompt": "blurry, watermark", "height": 768, **changes})


def png_with(tmp_path, chunks: dict, name="in.png"):
    """A small PNG holding ``chunks`` as text chunks (tEXt, or iTXt for non-Latin-1 text)."""
    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value if isinstance(value, str) else json.dumps(value))
    path = tmp_path / name
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path, pnginfo=info)
    return path


def a1111_with(settings: str, prompt="a dog") -> str:
    return f"{prompt}\nSteps: 20, {settings}, Seed: 1"


# --- A1111 ----------------------------------------------------------------------------------


def test_a1111_text_with_multiline_prompts_and_quoted_values(tmp_path):
    info = read_generation_info(png_with(tmp_path, {"parameters": A1111_TEXT}))
    assert info == {
        "tool": "a1111",
        "prompt": (
            "masterpiece, best quality, 1girl, silver hair, (looking at viewer:1.2),\n"
            "cherry blossoms, night sky <lora:add_detail:0.6> <lora:blossom_style:0.8>"
        ),
        "negative_prompt": "(worst quality, low quality:1.4), watermark,\nsignature, extra fingers",
        "seed": 3141592653,
        "steps": 28,
        "guidance": 6.5,
        "width": 832,
        "height": 1216,
        "scheduler": "DPM++ 2M Karras",
        "sampler_original": "DPM++ 2M",
        "schedule_original": "Karras",
        "model": {"name": "dreamshaperXL_v21TurboDPMSDE", "hash": "4496b36d48"},
        "loras": [{"name": "add_detail", "weight": 0.6, "hash": "7c6bad76eb54"},
                  {"name": "blossom_style", "weight": 0.8, "hash": "1a2b3c4d5e6f"}],
        "raw": A1111_TEXT,
    }


def test_a1111_quoted_value_keeps_its_commas_and_colons(tmp_path):
    text = (
        "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512, "
        'Model hash: abc123, Model: "Juggernaut XL, v9: final", Version: v1.6.0'
    )
    info = read_generation_info(png_with(tmp_path, {"parameters": text}))
    assert info["model"] == {"name": "Juggernaut XL, v9: final", "hash": "abc123"}
    assert info["scheduler"] == "Euler a"
    assert info["negative_prompt"] == ""
    assert (info["seed"], info["width"], info["height"]) == (5, 512, 512)


@pytest.mark.parametrize(
    "settings, scheduler",
    [
        ("Sampler: DPM++ 2M, Schedule type: Karras", "DPM++ 2M Karras"),
        ("Sampler: DPM++ 2M Karras", "DPM++ 2M Karras"),  # A1111 before 1.9
        ("Sampler: LMS Karras", "LMS Karras"),
        ("Sampler: Euler a, Schedule type: Automatic", "Euler a"),
        ("Sampler: DPM++ 2M", "DPM++ 2M"),
        ("Sampler: PLMS", "PNDM"),
        ("Sampler: UniPC", "UniPC"),
        ("Sampler: Euler, Schedule type: Exponential", None),
        ("Sampler: DPM++ SDE, Schedule type: Karras", None),
        ("Sampler: Restart", None),
    ],
)
def test_a1111_sampler_maps_to_ours_only_when_equal(tmp_path, settings, scheduler):
    info = read_generation_info(png_with(tmp_path, {"parameters": a1111_with(settings)}))
    assert info.get("scheduler") == scheduler
    sampler = settings.split(", ")[0].removeprefix("Sampler: ")
    assert info["sampler_original"] == sampler


def test_a1111_reads_atelier_written_parameters(tmp_path):
    # An Atelier image whose ``atelier`` chunk another tool dropped: the A1111 text remains.
    recipe = make_recipe()
    info = read_generation_info(png_with(tmp_path, {"parameters": a1111_parameters(recipe)}))
    assert info == {
        "tool": "a1111",
        "prompt": "a lighthouse at dusk, oil painting",
        "negative_prompt": "blurry, watermark",
        "seed": 1234,
        "steps": 30,
        "guidance": 7.0,
        "width": 1024,
        "height": 768,
        "scheduler": "DPM++ 2M Karras",
        "sampler_original": "DPM++ 2M",
        "schedule_original": "Karras",
        "model": {"name": "sd_xl_base_1.0", "hash": recipes.FINGERPRINT[:10]},
        "raw": a1111_parameters(recipe),
    }


def test_a1111_text_without_settings_line_is_all_prompt(tmp_path):
    text = "just a prompt, no settings\nsecond line"
    assert read_generation_info(png_with(tmp_path, {"parameters": text})) == {
        "tool": "a1111",
        "prompt": text,
        "raw": text,
    }


def test_a1111_unparseable_values_are_left_out(tmp_path):
    text = "a dog\nSteps: many, Sampler: Euler, CFG scale: high, Seed: -1x, Size: big"
    assert read_generation_info(png_with(tmp_path, {"parameters": text})) == {
        "tool": "a1111",
        "prompt": "a dog",
        "negative_prompt": "",
        "scheduler": "Euler",
        "sampler_original": "Euler",
        "raw": text,
    }


def test_blank_parameters_is_none(tmp_path):
    assert read_generation_info(png_with(tmp_path, {"parameters": "  \n "})) is None


# --- ComfyUI --------------------------------------------------------------------------------


def test_comfyui_default_graph(tmp_path):
    prompt_text = json.dumps(COMFYUI_PROMPT)
    workflow_text = json.dumps(COMFYUI_WORKFLOW)
    path = png_with(tmp_path, {"prompt": prompt_text, "workflow": workflow_text})
    assert read_generation_info(path) == {
        "tool": "comfyui",
        "prompt": "beautiful scenery nature glass bottle landscape, purple galaxy bottle,",
        "negative_prompt": "text, watermark",
        "seed": 156680208700286,
        "steps": 25,
        "guidance": 7.5,
        "width": 512,
        "height": 768,
        "scheduler": "DPM++ 2M Karras",
        "sampler_original": "dpmpp_2m",
        "schedule_original": "karras",
        "model": {"name": "v1-5-pruned-emaonly.safetensors"},
        "raw": prompt_text,
        "raw_workflow": workflow_text,
        "seed_note": "Seed 156680208700286 is outside the 32-bit seeds (0 to 4294967295) Atelier uses, "
                     "so it cannot be reused as is",
    }


def test_comfyui_sdxl_graph_with_refiner_lora_and_controlnet(tmp_path):
    info = read_generation_info(png_with(tmp_path, {"prompt": COMFYUI_SDXL_PROMPT}))
    # The base sampler (fed the empty latent), not the refiner with the lower id.
    assert info["seed"] == 721897303308196
    assert info["guidance"] == 6.5
    assert info["steps"] == 40
    assert (info["width"], info["height"]) == (1024, 1344)
    assert info["scheduler"] == "Euler a"
    assert info["sampler_original"] == "euler_ancestral"
    # Through ControlNetApplyAdvanced: output 0 is the positive, output 1 the negative.
    assert info["prompt"] == "a cozy cabin in a snowy forest, warm light"
    assert info["negative_prompt"] == "blurry, lowres\njpeg artifacts"
    # Through the LoRA loader to the checkpoint.
    assert info["model"] == {"name": "SDXL/sd_xl_base_1.0.safetensors"}
    assert "raw_workflow" not in info


@pytest.mark.parametrize(
    "sampler, schedule, ours",
    [
        ("euler_ancestral", "normal", "Euler a"),
        ("dpmpp_2m", "karras", "DPM++ 2M Karras"),
        ("dpmpp_2m", "normal", "DPM++ 2M"),
        ("lms", "karras", "LMS Karras"),
        ("uni_pc", "normal", "UniPC"),
        ("euler", "simple", None),
        ("dpmpp_2m_sde_gpu", "karras", None),
        ("dpmpp_2m_sde", "karras", None),
    ],
)
def test_comfyui_sampler_maps_to_ours_only_when_equal(tmp_path, sampler, schedule, ours):
    graph = copy.deepcopy(COMFYUI_PROMPT)
    graph["3"]["inputs"].update(sampler_name=sampler, scheduler=schedule)
    info = read_generation_info(png_with(tmp_path, {"prompt": graph}))
    assert info.get("scheduler") == ours
    assert (info["sampler_original"], info["schedule_original"]) == (sampler, schedule)


def test_comfyui_values_through_helper_nodes(tmp_path):
    # Seed and prompt text can come from helper nodes rather than being typed in the node.
    graph = copy.deepcopy(COMFYUI_PROMPT)
    graph["3"]["inputs"]["seed"] = ["20", 0]
    graph["6"]["inputs"]["text"] = ["21", 0]
    graph["20"] = {"inputs": {"value": 42}, "class_type": "PrimitiveInt"}
    graph["21"] = {"inputs": {"value": "a lighthouse, 灯台"}, "class_type": "PrimitiveString"}
    info = read_generation_info(png_with(tmp_path, {"prompt": graph}))
    assert info["seed"] == 42
    assert info["prompt"] == "a lighthouse, 灯台"


def test_comfyui_workflow_only_gives_its_widget_values_and_raw(tmp_path):
    # With no API graph, the UI graph's widgets are read; this trimmed one holds the sampler's.
    workflow_text = json.dumps(COMFYUI_WORKFLOW)
    path = png_with(tmp_path, {"workflow": workflow_text})
    info = read_generation_info(path)
    assert {key: info.get(key) for key in ("tool", "seed", "steps", "guidance", "scheduler", "raw")} == {
        "tool": "comfyui", "seed": 156680208700286, "steps": 25, "guidance": 7.5, "scheduler": "DPM++ 2M Karras",
        "raw": workflow_text}
    assert "prompt" not in info  # its text encoders were trimmed away


def test_comfyui_graph_without_sampler_is_tool_and_raw(tmp_path):
    graph = {"9": COMFYUI_PROMPT["9"], "8": COMFYUI_PROMPT["8"]}
    prompt_text = json.dumps(graph)
    assert read_generation_info(png_with(tmp_path, {"prompt": prompt_text})) == {
        "tool": "comfyui",
        "raw": prompt_text,
    }


@pytest.mark.parametrize(
    "chunks",
    [
        {"prompt": "{not json"},
        {"prompt": "a plain text prompt from some other tool"},
        {"prompt": "[1, 2, 3]"},
        {"prompt": '{"3": "not a node"}'},
        {"workflow": "{broken"},
        {"workflow": '{"no": "nodes"}'},
        {"prompt": "{not json", "workflow": "{broken"},
    ],
)
def test_comfyui_garbage_is_none(tmp_path, chunks):
    assert read_generation_info(png_with(tmp_path, chunks)) is None


def test_comfyui_bad_json_falls_through_to_a1111(tmp_path):
    path = png_with(tmp_path, {"prompt": "{not json", "parameters": A1111_TEXT})
    info = read_generation_info(path)
    assert info["tool"] == "a1111"
    assert info["seed"] == 3141592653


# --- InvokeAI -------------------------------------------------------------------------------


def test_invokeai_metadata(tmp_path):
    raw = json.dumps(INVOKEAI_METADATA)
    assert read_generation_info(png_with(tmp_path, {"invokeai_metadata": raw})) == {
        "tool": "invokeai",
        "prompt": "a red fox in fresh snow, national geographic photo, 85mm",
        "negative_prompt": "cartoon, painting, lowres",
        "seed": 2389412087,
        "steps": 35,
        "guidance": 6.0,
        "width": 1152,
        "height": 896,
        "scheduler": "DPM++ 2M Karras",
        "sampler_original": "dpmpp_2m_k",
        "model": {
            "name": "Juggernaut XL v9",
            "hash": "blake3:4f5e9c1a0d2b3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
        },
        "raw": raw,
    }


def test_invokeai_3_model_name_and_euler_a(tmp_path):
    metadata = {
        "generation_mode": "txt2img",
        "positive_prompt": "portrait of an old sailor",
        "negative_prompt": "",
        "width": 512,
        "height": 512,
        "seed": 77,
        "cfg_scale": 7.5,
        "steps": 30,
        "scheduler": "euler_a",
        "model": {"model_name": "stable-diffusion-v1-5", "base_model": "sd-1", "model_type": "main"},
    }
    info = read_generation_info(png_with(tmp_path, {"invokeai_metadata": metadata}))
    assert info["scheduler"] == "Euler a"
    assert info["model"] == {"name": "stable-diffusion-v1-5"}
    assert (info["prompt"], info["negative_prompt"], info["guidance"]) == ("portrait of an old sailor", "", 7.5)


def test_invokeai_unknown_scheduler_keeps_original_only(tmp_path):
    metadata = {**INVOKEAI_METADATA, "scheduler": "dpmpp_3m_k", "seed": "not a seed"}
    info = read_generation_info(png_with(tmp_path, {"invokeai_metadata": metadata}))
    assert "scheduler" not in info
    assert "seed" not in info
    assert info["sampler_original"] == "dpmpp_3m_k"


def test_invokeai_bad_json_is_none(tmp_path):
    assert read_generation_info(png_with(tmp_path, {"invokeai_metadata": "{oops"})) is None


def test_mapping_tables_name_real_samplers():
    # Guards against a rename in schedulers.py silently breaking the mappings.
    assert set(interop._INVOKEAI_SCHEDULERS.values()) <= set(SCHEDULER_NAMES)
    for sampler in interop._COMFYUI_SAMPLERS:
        assert interop._scheduler_for_comfyui(sampler, "normal") in SCHEDULER_NAMES


# --- Atelier and precedence -----------------------------------------------------------------


def test_atelier_chunk_round_trip(tmp_path):
    recipe = make_recipe(extra={"future_field": [1, 2]})
    path = tmp_path / "ours.png"
    save_png(Image.new("RGB", (8, 8)), path, recipe)
    with Image.open(path) as image:
        raw = image.text["atelier"]
    assert read_generation_info(path) == {**recipe.to_dict(), "tool": "atelier", "raw": raw}
    assert Recipe.from_dict(read_generation_info(path)).extra == {
        "future_field": [1, 2],
        "tool": "atelier",
        "raw": raw,
    }


def test_atelier_wins_over_its_own_parameters_and_other_tools(tmp_path):
    recipe = make_recipe()
    path = tmp_path / "ours.png"
    info = PngInfo()
    info.add_text("parameters", A1111_TEXT)
    info.add_text("prompt", json.dumps(COMFYUI_PROMPT))
    info.add_text("invokeai_metadata", json.dumps(INVOKEAI_METADATA))
    info.add_text("atelier", json.dumps({"atelier_metadata": 1, "recipe": recipe.to_dict()}))
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)

    result = read_generation_info(path)
    assert result["tool"] == "atelier"
    assert settings_of(result)["prompt"] == "a lighthouse at dusk, oil painting"
    assert result["runtime"]["scheduler_config"] == recipe.runtime.scheduler_config


@pytest.mark.parametrize(
    "chunks, tool, seed",
    [
        ({"parameters": A1111_TEXT, "prompt": COMFYUI_PROMPT}, "comfyui", 156680208700286),
        ({"parameters": A1111_TEXT, "invokeai_metadata": INVOKEAI_METADATA}, "invokeai", 2389412087),
        ({"prompt": COMFYUI_PROMPT, "invokeai_metadata": INVOKEAI_METADATA}, "invokeai", 2389412087),
        ({"atelier": "{damaged", "parameters": A1111_TEXT}, "a1111", 3141592653),
    ],
)
def test_precedence(tmp_path, chunks, tool, seed):
    info = read_generation_info(png_with(tmp_path, chunks))
    assert (info["tool"], info["seed"]) == (tool, seed)


# --- files and encodings --------------------------------------------------------------------


def test_png_without_chunks_is_none(tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(path)
    assert read_generation_info(path) is None
    with Image.open(path) as image:
        assert read_generation_info(image) is None


def test_unrelated_chunks_are_none(tmp_path):
    path = png_with(tmp_path, {"Software": "GIMP 2.10", "Comment": "holiday photo"})
    assert read_generation_info(path) is None


def test_non_latin_prompts_in_itxt(tmp_path):
    text = (
        "夕暮れの灯台、油絵 🌅\n"
        "Negative prompt: ぼやけた, 低品質\n"
        "Steps: 24, Sampler: Euler a, CFG scale: 5, Seed: 99, Size: 768x512, Model: 日本語モデル"
    )
    path = png_with(tmp_path, {"parameters": text})
    with Image.open(path) as image:
        assert image.text["parameters"] == text
        info = read_generation_info(image)  # an open image works as well as a path
    assert info["prompt"] == "夕暮れの灯台、油絵 🌅"
    assert info["negative_prompt"] == "ぼやけた, 低品質"
    assert info["model"] == {"name": "日本語モデル"}
    assert (info["width"], info["height"], info["seed"]) == (768, 512, 99)


def test_non_latin_invokeai_and_comfyui(tmp_path):
    metadata = {**INVOKEAI_METADATA, "positive_prompt": "雪の中の赤い狐 🦊"}
    path = png_with(tmp_path, {"invokeai_metadata": json.dumps(metadata, ensure_ascii=False)})
    assert read_generation_info(path)["prompt"] == "雪の中の赤い狐 🦊"

    graph = copy.deepcopy(COMFYUI_PROMPT)
    graph["6"]["inputs"]["text"] = "Лес в тумане, акварель"
    path = png_with(tmp_path, {"prompt": json.dumps(graph, ensure_ascii=False)}, name="c.png")
    assert read_generation_info(path)["prompt"] == "Лес в тумане, акварель"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
# Graph-shaped junk: node-like objects whose inputs hold links that may point anywhere.
NODE = st.fixed_dictionaries(
    {
        "class_type": st.sampled_from(["KSampler", "KSamplerAdvanced", "CLIPTextEncode", "LoraLoader", "X"]),
        "inputs": st.dictionaries(
            st.sampled_from(["seed", "positive", "negative", "model", "latent_image", "text", "width", "cfg"]),
            JSON | st.tuples(st.sampled_from(["1", "2", "3"]), st.integers(0, 2)).map(list),
        ),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(["parameters", "prompt", "workflow", "invokeai_metadata", "atelier"]),
    payload=st.text(max_size=200)
    | JSON.map(json.dumps)
    | st.dictionaries(st.sampled_from(["1", "2", "3"]), NODE).map(json.dumps),
)
def test_any_chunk_content_never_raises(tmp_path, key, payload):
    info = read_generation_info(png_with(tmp_path, {key: payload}))
    assert info is None or info["tool"] in {"a1111", "comfyui", "invokeai", "atelier", "fooocus", "swarmui"}
    assert info is None or info["raw"] == payload


def exif_with_user_comment(comment: bytes) -> Image.Exif:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = comment
    return exif


@pytest.mark.parametrize(
    "fmt, encode",
    [
        # A1111 (via piexif) writes UNICODE + UTF-16 big-endian into JPEG and WebP.
        ("JPEG", lambda text: b"UNICODE\0" + text.encode("utf-16-be")),
        ("WEBP", lambda text: b"UNICODE\0" + text.encode("utf-16-be")),
        ("JPEG", lambda text: b"UNICODE\0" + text.encode("utf-16-le")),
        ("JPEG", lambda text: b"ASCII\0\0\0" + text.encode("ascii")),
    ],
)
def test_a1111_text_in_exif_user_comment(tmp_path, fmt, encode):
    text = "a fox, watercolor\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 8"
    path = tmp_path / f"a1111.{fmt.lower()}"
    Image.new("RGB", (8, 8)).save(path, format=fmt, exif=exif_with_user_comment(encode(text)))
    info = read_generation_info(path)
    assert info["tool"] == "a1111"
    assert (info["prompt"], info["negative_prompt"], info["seed"]) == ("a fox, watercolor", "blurry", 8)
    assert info["raw"] == text


def test_a1111_text_in_jpeg_comment(tmp_path):
    text = "a quiet harbour\nSteps: 12, Sampler: DDIM, CFG scale: 4.5, Seed: 3"
    path = tmp_path / "c.jpg"
    Image.new("RGB", (8, 8)).save(path, format="JPEG", comment=text.encode())
    info = read_generation_info(path)
    assert (info["prompt"], info["scheduler"], info["guidance"]) == ("a quiet harbour", "DDIM", 4.5)


def test_jpeg_without_metadata_is_none(tmp_path):
    path = tmp_path / "plain.jpg"
    Image.new("RGB", (8, 8)).save(path, format="JPEG", exif=exif_with_user_comment(b"UNICODE\0\xff"))
    assert read_generation_info(path) is None


def test_not_an_image_raises_pillows_error(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(UnidentifiedImageError):
        read_generation_info(path)


# --- bounded reading: files made to hurt ------------------------------------------------------


def test_a1111_settings_line_without_colons_reads_in_linear_time():
    """A 32 KB settings line of words and no colons took 5 s (64 KB: 20 s, and on as a square):
    the window froze on a dropped image whose ``parameters`` held one."""
    line = "Steps: 20, " + "ab " * 11_000
    started = time.perf_counter()
    assert interop._a1111_settings(line) == {"Steps": "20"}
    assert time.perf_counter() - started < 0.5


# A1111's own pattern, as re.findall runs it: what _a1111_pairs must find, faster.
A1111_PATTERN = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='ab -/:,"\\\n\t(é', max_size=60))
def test_a1111_pairs_are_what_a1111s_pattern_finds(line):
    assert list(interop._a1111_pairs(line)) == A1111_PATTERN.findall(line)


def test_png_text_chunks_are_pillows_text_without_decoding_pixels(tmp_path):
    info = PngInfo()
    info.add_text("parameters", "a fox\nSteps: 20")
    info.add_text("Comment", "zipped " * 50, zip=True)
    info.add_itxt("prompt", "灯台 at dusk", lang="ja", tkey="プロンプト")
    info.add_itxt("workflow", '{"nodes": []}' * 20, zip=True)
    path = tmp_path / "in.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    data = path.read_bytes()
    iend = data.rindex(b"IEND") - 4  # and one more chunk after the pixels, where .text finds it too
    later = b"tEXt" + b"after\0the pixels"
    data = data[:iend] + struct.pack(">I", len(later) - 4) + later + struct.pack(">I", zlib.crc32(later)) + data[iend:]
    (tmp_path / "after.png").write_bytes(data)
    with Image.open(tmp_path / "after.png") as image:
        expected = dict(image.text)
    assert interop.png_text_chunks(data) == expected
    assert expected["after"] == "the pixels" and expected["prompt"] == "灯台 at dusk"


@pytest.mark.parametrize(
    "chunks, words",
    [
        ({"prompt": '{"3": {"class_type": "KSampler", "inputs": {"seed": ' + "[" * 50_000 + "]" * 50_000 + "}}}"},
         "its ComfyUI metadata is nested too deeply to read"),
        ({"invokeai_metadata": '{"seed": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001},
         "its InvokeAI metadata is nested too deeply to read"),
        ({"atelier": '{"recipe": ' + "[" * 50_000 + "]" * 50_000 + "}"}, "its Atelier metadata is nested too deeply"),
        ({"workflow": '{"nodes": ' + "[" * 50_000 + "]" * 50_000 + "}"}, "its ComfyUI metadata is nested too deeply"),
    ],
)
def test_json_nested_past_what_python_parses_is_a_limit_error(tmp_path, chunks, words):
    with pytest.raises(interop.MetadataLimitError, match=words):
        read_generation_info(png_with(tmp_path, chunks))


def test_metadata_text_too_long_to_parse_is_left_out_and_noted(tmp_path):
    notes = []
    chunks = {"parameters": "a fox " * 200_000 + "\nSteps: 20", "prompt": "{}", "XML:com.adobe.xmp": "x" * 2_000_000}
    assert interop.generation_info_from_chunks(chunks, notes) is None
    assert notes == ["its 'parameters' metadata (1.1 MB) is longer than the 1 MB Atelier reads, so it was left out"]


@pytest.mark.parametrize("node_id", ["²", "1" * 5000])
def test_comfyui_node_ids_that_int_refuses_are_names(tmp_path, node_id):
    graph = copy.deepcopy(COMFYUI_PROMPT)
    graph[node_id] = graph.pop("3")
    info = read_generation_info(png_with(tmp_path, {"prompt": graph}))
    assert info["tool"] == "comfyui" and info["steps"] == COMFYUI_PROMPT["3"]["inputs"]["steps"]
