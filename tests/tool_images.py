"""Images written the way other tools write them, from each tool's documented layout, all with
the same known prompt, negative prompt and seed: for the reading tests and for
scripts/compare_metadata_readers.py, which measures sd-parsers on the same files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

PROMPT = "a red fox in fresh snow, (soft morning light:1.2), 85mm"
NEGATIVE = "blurry, watermark, lowres"
SEED = 3141592653
LONG_SEED = 8764365249123456789  # Fooocus draws seeds up to 2**63


def png(path: Path, chunks: dict | None = None, image: Image.Image | None = None) -> Path:
    """A PNG with ``chunks`` as text chunks, as the tools write them with Pillow."""
    info = PngInfo()
    for key, value in (chunks or {}).items():
        info.add_text(key, value)
    (image or Image.new("RGB", (64, 64), (40, 60, 90))).save(path, pnginfo=info)
    return path


def hide(image: Image.Image, text: str, where: str = "alpha", compressed: bool = True) -> Image.Image:
    """``image`` with ``text`` in its lowest bits as A1111's stealth-pnginfo extension and
    NovelAI write it: column by column from the top left, one bit a pixel in alpha or three
    (red, green, blue) in RGB; the signature, the payload's length in bits (32 bits), the
    payload (gzip for the "comp" signatures)."""
    signature = f"stealth_{'png' if where == 'alpha' else 'rgb'}{'comp' if compressed else 'info'}"
    payload = gzip.compress(text.encode()) if compressed else text.encode()
    bits = _bits(signature.encode()) + format(len(payload) * 8, "032b") + _bits(payload)
    image = image.convert("RGBA" if where == "alpha" else image.mode)
    pixels = image.load()
    width, height = image.size
    per_pixel = 1 if where == "alpha" else 3
    assert len(bits) <= width * height * per_pixel, "the picture is too small for the payload"
    index = 0
    for x in range(width):
        for y in range(height):
            if index >= len(bits):
                return image
            values = list(pixels[x, y])
            channels = (3,) if where == "alpha" else (0, 1, 2)
            for channel in channels:
                if index < len(bits):
                    values[channel] = (values[channel] & ~1) | int(bits[index])
                    index += 1
            pixels[x, y] = tuple(values)
    return image


def _bits(data: bytes) -> str:
    return "".join(format(byte, "08b") for byte in data)


def exif_user_comment(text: str, in_exif_ifd: bool = True) -> Image.Exif:
    """EXIF with ``text`` as UserComment: A1111 (piexif) and SwarmUI write UNICODE + UTF-16
    big-endian in the Exif IFD; Fooocus writes a plain string in the first IFD."""
    exif = Image.Exif()
    if in_exif_ifd:
        exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + text.encode("utf-16-be")
    else:
        exif[0x9286] = text
    return exif


# --- each tool's text ---------------------------------------------------------------------

A1111_PROMPT = f"{PROMPT} <lora:add_detail:0.6>"  # A1111 keeps the LoRA it calls in the prompt
A1111_TEXT = (
    f"{A1111_PROMPT}\nNegative prompt: {NEGATIVE}\n"
    f"Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: {SEED}, Size: 832x1216, "
    'Model hash: 4496b36d48, Model: dreamshaperXL_v21, Lora hashes: "add_detail: 7c6bad76eb54", Version: v1.10.1'
)

NOVELAI_COMMENT = {
    "prompt": PROMPT, "steps": 28, "height": 1216, "width": 832, "scale": 5.0, "uncond_scale": 0.0,
    "cfg_rescale": 0.0, "seed": SEED, "n_samples": 1, "hide_debug_overlay": False, "noise_schedule": "native",
    "legacy_v3_extend": False, "reference_information_extracted_multiple": [], "reference_strength_multiple": [],
    "sampler": "k_euler_ancestral", "controlnet_strength": 1.0, "controlnet_model": None,
    "dynamic_thresholding": False, "sm": False, "sm_dyn": False, "skip_cfg_below_sigma": 0.0,
    "lora_unet_weights": None, "lora_clip_weights": None, "uc": NEGATIVE, "request_type": "PromptGenerateRequest",
}
NOVELAI_CHUNKS = {
    "Title": "AI generated image",
    "Description": PROMPT,
    "Software": "NovelAI",
    "Source": "NovelAI Diffusion V3 C1E3AD0D",
    "Generation time": "4.72",
    "Comment": json.dumps(NOVELAI_COMMENT),
}

INVOKEAI_2_PROMPT = f"{PROMPT} [{NEGATIVE}]"
INVOKEAI_2_METADATA = {
    "model": "stable diffusion",
    "model_weights": "stable-diffusion-1.5",
    "model_hash": "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
    "app_id": "invoke-ai/InvokeAI",
    "app_version": "2.3.0",
    "image": {
        "prompt": [{"prompt": INVOKEAI_2_PROMPT, "weight": 1.0}], "steps": 50, "cfg_scale": 7.5, "threshold": 0,
        "perlin": 0, "height": 512, "width": 512, "seed": SEED, "seamless": False, "hires_fix": False,
        "type": "txt2img", "postprocessing": None, "sampler": "k_lms", "variations": [],
    },
}
DREAM = f'"{INVOKEAI_2_PROMPT}" -s 50 -S {SEED} -W 512 -H 512 -C 7.5 -A k_lms'

INVOKEAI_METADATA = {
    "generation_mode": "sdxl_txt2img", "positive_prompt": PROMPT, "negative_prompt": NEGATIVE, "width": 1152,
    "height": 896, "seed": SEED, "cfg_scale": 6, "steps": 35, "scheduler": "dpmpp_2m_k",
    "model": {"key": "9b1f4c62", "hash": "blake3:4f5e9c1a", "name": "Juggernaut XL v9", "base": "sdxl"},
    "app_version": "4.2.4",
}

FOOOCUS_JSON = {
    "adm_guidance": "(1.5, 0.8, 0.3)", "base_model": "juggernautXL_v8Rundiffusion", "base_model_hash": "aeb7e9e689",
    "clip_skip": 2, "full_negative_prompt": [NEGATIVE], "full_prompt": [PROMPT], "guidance_scale": 4.0,
    "loras": [["sd_xl_offset_example-lora_1.0", 0.1, "4852686128"]], "metadata_scheme": "fooocus",
    "negative_prompt": NEGATIVE, "performance": "Speed", "prompt": PROMPT, "refiner_model": "None",
    "refiner_switch": 0.5, "resolution": "(1152, 896)", "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras",
    "seed": str(LONG_SEED), "sharpness": 2.0, "steps": 30, "styles": "['Fooocus V2', 'Fooocus Sharp']",
    "vae": "Default (model)", "version": "Fooocus v2.5.5",
}
FOOOCUS_A1111_TEXT = (
    f"{PROMPT}\nNegative prompt: {NEGATIVE}\nSteps: 30, Sampler: DPM++ 2M SDE Karras, Seed: {LONG_SEED}, "
    "CFG scale: 4, Size: 1152x896, Model hash: aeb7e9e689, Model: juggernautXL_v8Rundiffusion, "
    "Sharpness: 2, Performance: Speed, Version: Fooocus v2.5.5"
)

SWARMUI_JSON = {
    "sui_image_params": {
        "prompt": PROMPT, "negativeprompt": NEGATIVE, "model": "OfficialStableDiffusion/sd_xl_base_1.0",
        "seed": SEED, "steps": 20, "cfgscale": 7.0, "aspectratio": "1:1", "width": 1024, "height": 1024,
        "sampler": "euler_ancestral", "scheduler": "normal", "loras": ["detail_tweaker"], "loraweights": ["0.8"],
        "swarm_version": "0.9.2.1",
    },
    "sui_extra_data": {"date": "2024-09-01", "prep_time": "0.01 sec", "generation_time": "3.20 sec"},
}

# ComfyUI: the API graph (``prompt``) and the UI graph (``workflow``) of its default
# text-to-image graph with a LoRA, as ComfyUI saves both.
COMFYUI_PROMPT = {
    "3": {"class_type": "KSampler", "inputs": {
        "seed": SEED, "steps": 25, "cfg": 7.5, "sampler_name": "euler_ancestral", "scheduler": "normal",
        "denoise": 1, "model": ["10", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": PROMPT, "clip": ["10", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": NEGATIVE, "clip": ["10", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    "10": {"class_type": "LoraLoader", "inputs": {
        "lora_name": "add_detail.safetensors", "strength_model": 0.7, "strength_clip": 1.0,
        "model": ["4", 0], "clip": ["4", 1]}},
}


def _ui_node(node_id, kind, widgets, inputs=()):
    return {"id": node_id, "type": kind, "pos": [0, 0], "size": [300, 100], "flags": {}, "order": node_id, "mode": 0,
            "inputs": [{"name": name, "type": "X", "link": link} for name, link in inputs],
            "outputs": [], "properties": {"Node name for S&R": kind}, "widgets_values": widgets}


COMFYUI_WORKFLOW = {
    "last_node_id": 10,
    "last_link_id": 12,
    "nodes": [
        _ui_node(3, "KSampler", [SEED, "randomize", 25, 7.5, "euler_ancestral", "normal", 1],
                 [("model", 1), ("positive", 4), ("negative", 6), ("latent_image", 2)]),
        _ui_node(4, "CheckpointLoaderSimple", ["v1-5-pruned-emaonly.safetensors"]),
        _ui_node(5, "EmptyLatentImage", [512, 768, 1]),
        _ui_node(6, "CLIPTextEncode", [PROMPT], [("clip", 3)]),
        _ui_node(7, "CLIPTextEncode", [NEGATIVE], [("clip", 5)]),
        _ui_node(8, "VAEDecode", [], [("samples", 7), ("vae", 8)]),
        _ui_node(9, "SaveImage", ["ComfyUI"], [("images", 9)]),
        _ui_node(10, "LoraLoader", ["add_detail.safetensors", 0.7, 1.0], [("model", 10), ("clip", 11)]),
    ],
    "links": [[1, 10, 0, 3, 0, "MODEL"], [2, 5, 0, 3, 3, "LATENT"], [3, 10, 1, 6, 0, "CLIP"],
              [4, 6, 0, 3, 1, "CONDITIONING"], [5, 10, 1, 7, 0, "CLIP"], [6, 7, 0, 3, 2, "CONDITIONING"],
              [7, 3, 0, 8, 0, "LATENT"], [8, 4, 2, 8, 1, "VAE"], [9, 8, 0, 9, 0, "IMAGE"],
              [10, 4, 0, 10, 0, "MODEL"], [11, 4, 1, 10, 1, "CLIP"]],
    "groups": [], "config": {}, "extra": {}, "version": 0.4,
}


# ComfyUI graphs built on helper nodes, as Flux and SD3 workflows are: each gives the API graph
# (``prompt``) or UI graph (``workflow``) ComfyUI saves for it.

def comfyui_flux_graph(seed: int = SEED) -> dict:
    """Flux dev: SamplerCustomAdvanced fed RandomNoise, KSamplerSelect, BasicScheduler and a
    BasicGuider whose conditioning carries FluxGuidance; the prompt comes from a text primitive."""
    return {
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ["28", 0], "clip": ["11", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["13", 0], "vae": ["10", 0]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
        "10": {"class_type": "VAELoader", "inputs": {"vae_name": "ae.safetensors"}},
        "11": {"class_type": "DualCLIPLoader", "inputs": {
            "clip_name1": "t5xxl_fp16.safetensors", "clip_name2": "clip_l.safetensors", "type": "flux"}},
        "12": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"}},
        "13": {"class_type": "SamplerCustomAdvanced", "inputs": {
            "noise": ["25", 0], "guider": ["22", 0], "sampler": ["16", 0], "sigmas": ["17", 0],
            "latent_image": ["27", 0]}},
        "16": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "17": {"class_type": "BasicScheduler", "inputs": {
            "scheduler": "simple", "steps": 20, "denoise": 1, "model": ["12", 0]}},
        "22": {"class_type": "BasicGuider", "inputs": {"model": ["12", 0], "conditioning": ["26", 0]}},
        "25": {"class_type": "RandomNoise", "inputs": {"noise_seed": seed}},
        "26": {"class_type": "FluxGuidance", "inputs": {"guidance": 3.5, "conditioning": ["6", 0]}},
        "27": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
        "28": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": PROMPT}},
    }


def comfyui_cfg_guider_graph() -> dict:
    """SD3.5: SamplerCustomAdvanced with a CFGGuider (positive and negative), its seed from an
    integer primitive, its sigmas from a BasicScheduler through SplitSigmas."""
    return {
        "3": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd3.5_medium.safetensors"}},
        "4": {"class_type": "CLIPTextEncode", "inputs": {"text": PROMPT, "clip": ["3", 1]}},
        "5": {"class_type": "CLIPTextEncode", "inputs": {"text": NEGATIVE, "clip": ["3", 1]}},
        "6": {"class_type": "CFGGuider", "inputs": {
            "model": ["3", 0], "positive": ["4", 0], "negative": ["5", 0], "cfg": 4.5}},
        "7": {"class_type": "RandomNoise", "inputs": {"noise_seed": ["8", 0]}},
        "8": {"class_type": "PrimitiveInt", "inputs": {"value": SEED}},
        "9": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "dpmpp_2m"}},
        "10": {"class_type": "BasicScheduler", "inputs": {
            "scheduler": "karras", "steps": 28, "denoise": 1.0, "model": ["3", 0]}},
        "11": {"class_type": "SplitSigmas", "inputs": {"sigmas": ["10", 0], "step": 28}},
        "12": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 1536, "batch_size": 1}},
        "13": {"class_type": "SamplerCustomAdvanced", "inputs": {
            "noise": ["7", 0], "guider": ["6", 0], "sampler": ["9", 0], "sigmas": ["11", 0],
            "latent_image": ["12", 0]}},
        "14": {"class_type": "VAEDecode", "inputs": {"samples": ["13", 0], "vae": ["3", 2]}},
        "15": {"class_type": "PreviewImage", "inputs": {"images": ["14", 0]}},
    }


def comfyui_hires_graph() -> dict:
    """Two passes (the second, numbered first, upscales the first's latent to a new size, with a
    prompt and seed of its own) and a stray sampler whose image reaches no output."""
    def sampler(seed, positive, latent, denoise):
        return {"class_type": "KSampler", "inputs": {
            "seed": seed, "steps": 30 if denoise == 1 else 12, "cfg": 6.0, "sampler_name": "euler",
            "scheduler": "normal", "denoise": denoise, "model": ["20", 0], "positive": positive,
            "negative": ["22", 0], "latent_image": latent}}

    return {
        "1": sampler(99, ["23", 0], ["30", 0], 0.5),  # the hires pass
        "2": sampler(7, ["23", 0], ["31", 0], 1),  # draws nothing anyone sees
        "20": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "SDXL/juggernautXL.safetensors"}},
        "21": {"class_type": "CLIPTextEncode", "inputs": {"text": PROMPT, "clip": ["20", 1]}},
        "22": {"class_type": "CLIPTextEncode", "inputs": {"text": NEGATIVE, "clip": ["20", 1]}},
        "23": {"class_type": "CLIPTextEncode", "inputs": {"text": "sharp details", "clip": ["20", 1]}},
        "30": {"class_type": "LatentUpscale", "inputs": {
            "samples": ["40", 0], "upscale_method": "nearest-exact", "width": 1536, "height": 1536, "crop": "disabled"}},
        "31": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
        "32": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
        "40": sampler(SEED, ["21", 0], ["32", 0], 1),  # the first pass
        "41": {"class_type": "VAEDecode", "inputs": {"samples": ["1", 0], "vae": ["20", 2]}},
        "42": {"class_type": "SaveImage", "inputs": {"filename_prefix": "hires", "images": ["41", 0]}},
    }


def comfyui_flux_workflow() -> dict:
    """The UI graph of a Flux workflow: the seed from a primitive node, the prompt from
    CLIPTextEncodeFlux (with its own guidance) through two Reroutes, size from EmptySD3LatentImage."""
    nodes = [
        _ui_node(1, "UNETLoader", ["flux1-schnell.safetensors", "default"]),
        _ui_node(2, "CLIPTextEncodeFlux", [PROMPT, PROMPT, 3.5], [("clip", None)]),
        _ui_node(3, "Reroute", [], [("", 1)]),
        _ui_node(4, "Reroute", [], [("", 2)]),
        _ui_node(5, "BasicGuider", [], [("model", 3), ("conditioning", 4)]),
        _ui_node(6, "RandomNoise", [0, "randomize"], [("noise_seed", 5)]),
        _ui_node(7, "PrimitiveNode", [SEED, "fixed"]),
        _ui_node(8, "KSamplerSelect", ["euler"]),
        _ui_node(9, "BasicScheduler", ["simple", 4, 1], [("model", 6)]),
        _ui_node(10, "EmptySD3LatentImage", [1216, 832, 1]),
        _ui_node(11, "SamplerCustomAdvanced", [],
                 [("noise", 7), ("guider", 8), ("sampler", 9), ("sigmas", 10), ("latent_image", 11)]),
        _ui_node(12, "VAEDecode", [], [("samples", 12), ("vae", None)]),
        _ui_node(13, "SaveImage", ["ComfyUI"], [("images", 13)]),
    ]
    links = [(1, 2, 0, 3), (2, 3, 0, 4), (3, 1, 0, 5), (4, 4, 0, 5), (5, 7, 0, 6), (6, 1, 0, 9), (7, 6, 0, 11),
             (8, 5, 0, 11), (9, 8, 0, 11), (10, 9, 0, 11), (11, 10, 0, 11), (12, 11, 0, 12), (13, 12, 0, 13)]
    return {"last_node_id": 13, "last_link_id": 13, "nodes": nodes,
            "links": [[link, origin, slot, target, 0, "*"] for link, origin, slot, target in links],
            "groups": [], "config": {}, "extra": {}, "version": 0.4}


def write_samples(folder: Path) -> dict[str, tuple[Path, tuple[str, str, int]]]:
    """Every format, one file each: name -> (path, the (prompt, negative prompt, seed) it holds)."""
    rgba = Image.new("RGBA", (96, 96), (40, 60, 90, 255))
    samples = {
        "A1111 PNG": (png(folder / "a1111.png", {"parameters": A1111_TEXT}), SEED),
        "A1111 stealth, alpha, gzip": (png(folder / "stealth_pngcomp.png", image=hide(rgba, A1111_TEXT)), SEED),
        "A1111 stealth, alpha": (
            png(folder / "stealth_pnginfo.png", image=hide(rgba, A1111_TEXT, compressed=False)), SEED),
        "A1111 stealth, RGB, gzip": (
            png(folder / "stealth_rgbcomp.png", image=hide(rgba.convert("RGB"), A1111_TEXT, "rgb")), SEED),
        "A1111 stealth, RGB": (png(folder / "stealth_rgbinfo.png",
                                   image=hide(rgba.convert("RGB"), A1111_TEXT, "rgb", compressed=False)), SEED),
        "NovelAI PNG": (png(folder / "novelai.png", NOVELAI_CHUNKS), SEED),
        "NovelAI stealth": (png(folder / "novelai_stealth.png",
                                image=hide(Image.new("RGBA", (160, 160), (90, 60, 40, 255)),
                                           json.dumps(NOVELAI_CHUNKS))), SEED),
        "InvokeAI 2 sd-metadata": (png(folder / "invokeai2.png", {
            "Dream": DREAM, "sd-metadata": json.dumps(INVOKEAI_2_METADATA)}), SEED),
        "InvokeAI 2 Dream": (png(folder / "invokeai_dream.png", {"Dream": DREAM}), SEED),
        "InvokeAI 3+": (png(folder / "invokeai.png", {"invokeai_metadata": json.dumps(INVOKEAI_METADATA)}), SEED),
        "Fooocus JSON": (png(folder / "fooocus.png", {
            "parameters": json.dumps(FOOOCUS_JSON), "fooocus_scheme": "fooocus"}), LONG_SEED),
        "Fooocus A1111": (png(folder / "fooocus_a1111.png", {
            "parameters": FOOOCUS_A1111_TEXT, "fooocus_scheme": "a1111"}), LONG_SEED),
        "SwarmUI PNG": (png(folder / "swarmui.png", {"parameters": json.dumps(SWARMUI_JSON)}), SEED),
        "ComfyUI prompt + workflow": (png(folder / "comfyui.png", {
            "prompt": json.dumps(COMFYUI_PROMPT), "workflow": json.dumps(COMFYUI_WORKFLOW)}), SEED),
        "ComfyUI workflow only": (png(folder / "comfyui_workflow.png", {"workflow": json.dumps(COMFYUI_WORKFLOW)}),
                                  SEED),
    }
    for name, (text, in_exif_ifd, seed) in {
        "A1111 JPEG EXIF": (A1111_TEXT, True, SEED),
        "Fooocus JPEG EXIF": (json.dumps(FOOOCUS_JSON), False, LONG_SEED),
        "SwarmUI JPEG EXIF": (json.dumps(SWARMUI_JSON), True, SEED),
    }.items():
        path = folder / (name.lower().replace(" ", "_") + ".jpg")
        Image.new("RGB", (64, 64), (40, 60, 90)).save(path, format="JPEG", exif=exif_user_comment(text, in_exif_ifd))
        samples[name] = (path, seed)
    return {name: (path, (A1111_PROMPT if name.startswith("A1111") else PROMPT, NEGATIVE, seed))
            for name, (path, seed) in samples.items()}
