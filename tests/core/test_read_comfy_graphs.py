"""ComfyUI graphs beyond the plain KSampler: SamplerCustomAdvanced with its helper nodes (Flux,
SD3), the sampler whose image is saved among several, the first pass of a hires graph, links
through Reroutes and primitives; and any graph, cycles and dangling links included, read without
an error."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import tool_images as tools
from atelier.core.interop import generation_info_from_chunks, read_generation_info
from atelier.core.transfer import read_image_for_import
from tool_images import LONG_SEED, NEGATIVE, PROMPT, SEED, png

SETTINGS = ("prompt", "negative_prompt", "seed", "steps", "guidance", "sampler_original", "schedule_original",
            "scheduler", "width", "height", "model")


def read(tmp_path, chunks: dict) -> dict:
    notes = []
    info = read_generation_info(png(tmp_path / "graph.png", {k: json.dumps(v) for k, v in chunks.items()}), notes)
    assert notes == []
    return {key: info.get(key) for key in SETTINGS}


def test_flux_sampler_custom_advanced_with_basic_guider_and_flux_guidance(tmp_path):
    assert read(tmp_path, {"prompt": tools.comfyui_flux_graph()}) == {
        "prompt": PROMPT, "negative_prompt": None, "seed": SEED, "steps": 20, "guidance": 3.5,
        "sampler_original": "euler", "schedule_original": "simple", "scheduler": None,
        "width": 1024, "height": 768, "model": {"name": "flux1-dev.safetensors"}}


def test_cfg_guider_with_a_seed_primitive_and_split_sigmas_saved_only_as_a_preview(tmp_path):
    assert read(tmp_path, {"prompt": tools.comfyui_cfg_guider_graph()}) == {
        "prompt": PROMPT, "negative_prompt": NEGATIVE, "seed": SEED, "steps": 28, "guidance": 4.5,
        "sampler_original": "dpmpp_2m", "schedule_original": "karras", "scheduler": "DPM++ 2M Karras",
        "width": 1024, "height": 1536, "model": {"name": "sd3.5_medium.safetensors"}}


def test_hires_graph_gives_the_first_pass_of_the_saved_image(tmp_path):
    # The second pass is numbered first and its latent has a size too; a third sampler is seen by no one.
    assert read(tmp_path, {"prompt": tools.comfyui_hires_graph()}) == {
        "prompt": PROMPT, "negative_prompt": NEGATIVE, "seed": SEED, "steps": 30, "guidance": 6.0,
        "sampler_original": "euler", "schedule_original": "normal", "scheduler": "Euler",
        "width": 1024, "height": 1024, "model": {"name": "SDXL/juggernautXL.safetensors"}}


def test_flux_workflow_through_reroutes_and_a_primitive_node(tmp_path):
    assert read(tmp_path, {"workflow": tools.comfyui_flux_workflow()}) == {
        "prompt": PROMPT, "negative_prompt": None, "seed": SEED, "steps": 4, "guidance": 3.5,
        "sampler_original": "euler", "schedule_original": "simple", "scheduler": None,
        "width": 1216, "height": 832, "model": {"name": "flux1-schnell.safetensors"}}


def test_samplercustom_with_a_karras_scheduler_and_flux_zeroed_negative(tmp_path):
    graph = tools.comfyui_cfg_guider_graph()
    inputs = graph["13"]["inputs"]
    graph["13"] = {"class_type": "SamplerCustom", "inputs": {
        "model": ["3", 0], "add_noise": True, "noise_seed": 12345, "cfg": 2.5, "positive": ["4", 0],
        "negative": ["16", 0], "sampler": inputs["sampler"], "sigmas": ["17", 0], "latent_image": inputs["latent_image"]}}
    graph["16"] = {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["4", 0]}}
    graph["17"] = {"class_type": "KarrasScheduler", "inputs": {"steps": 9, "sigma_max": 14.6, "sigma_min": 0.03,
                                                               "rho": 7.0}}
    info = read(tmp_path, {"prompt": graph})
    assert (info["prompt"], info["negative_prompt"], info["seed"], info["steps"], info["guidance"]) == (
        PROMPT, "", 12345, 9, 2.5)
    assert (info["schedule_original"], info["scheduler"]) == ("karras", "DPM++ 2M Karras")


def test_a_64_bit_comfyui_seed_is_imported_as_written(tmp_path):
    path = png(tmp_path / "flux.png", {"prompt": json.dumps(tools.comfyui_flux_graph(LONG_SEED))})
    image = read_image_for_import(path)
    assert image.recipe["seed"] == LONG_SEED and image.parameters["seed"] == LONG_SEED
    assert image.notes == []


def test_a_cycle_between_samplers_and_through_reroutes_ends(tmp_path):
    graph = tools.comfyui_hires_graph()
    graph["40"]["inputs"]["latent_image"] = ["1", 0]  # each pass fed by the other
    graph["50"] = {"class_type": "Reroute", "inputs": {"": ["51", 0]}}
    graph["51"] = {"class_type": "Reroute", "inputs": {"": ["50", 0]}}
    graph["23"]["inputs"]["text"] = ["50", 0]  # the hires pass's prompt, behind Reroutes in a ring
    info = read(tmp_path, {"prompt": graph})
    # No pass is first; of those saved, the first by id with a sized latent.
    assert (info["negative_prompt"], info["seed"], info["width"], info["prompt"]) == (NEGATIVE, 99, 1536, None)


NODE_TYPES = ["KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced", "RandomNoise",
              "KSamplerSelect", "BasicScheduler", "KarrasScheduler", "SplitSigmas", "CFGGuider", "BasicGuider",
              "FluxGuidance", "CLIPTextEncode", "CLIPTextEncodeFlux", "ConditioningZeroOut", "ConditioningCombine",
              "EmptyLatentImage", "EmptySD3LatentImage", "LatentUpscale", "LoraLoader", "UNETLoader", "Reroute",
              "PrimitiveNode", "PrimitiveInt", "VAEDecode", "SaveImage", "PreviewImage", "Other"]
INPUT_NAMES = ["seed", "noise_seed", "noise", "guider", "sampler", "sigmas", "latent_image", "positive", "negative",
               "conditioning", "conditioning_1", "model", "samples", "images", "text", "t5xxl", "clip_l", "value",
               "guidance", "cfg", "steps", "scheduler", "sampler_name", "width", "height", "lora_name", "unet_name",
               ""]
NODE_IDS = st.sampled_from(["1", "2", "3", "4", "5", "6", "404"])  # "404" dangles
LITERALS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.just({"a": 1})
INPUT_VALUES = st.one_of(LITERALS, st.tuples(NODE_IDS, st.integers(-1, 2)).map(list), st.lists(LITERALS, max_size=3))
GRAPHS = st.dictionaries(NODE_IDS, st.fixed_dictionaries({
    "class_type": st.sampled_from(NODE_TYPES),
    "inputs": st.dictionaries(st.sampled_from(INPUT_NAMES), INPUT_VALUES, max_size=8)}), max_size=7)


def as_workflow(graph: dict) -> dict:
    """The same nodes as a UI graph: each link an entry of ``links``, widgets in no order."""
    nodes, links = [], []
    for node_id, node in graph.items():
        slots = []
        for name, value in node["inputs"].items():
            if isinstance(value, list) and len(value) == 2 and str(value[0]).isdigit() and isinstance(value[1], int):
                links.append([len(links) + 1, int(value[0]), value[1], int(node_id), 0, "*"])
                slots.append((name, len(links)))
        nodes.append(tools._ui_node(int(node_id), node["class_type"], list(node["inputs"].values()), slots))
    return {"nodes": nodes, "links": links}


@settings(max_examples=300, deadline=None)
@given(graph=GRAPHS)
def test_any_graph_is_read_without_an_error(graph):
    for chunks in ({"prompt": json.dumps(graph)}, {"workflow": json.dumps(as_workflow(graph))}):
        info = generation_info_from_chunks(chunks)
        assert info is None or info["tool"] == "comfyui"
