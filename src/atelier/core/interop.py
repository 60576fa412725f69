"""Read the prompt and settings that other tools (and Atelier) leave inside image files.

Artists bring images made in AUTOMATIC1111, ComfyUI or InvokeAI into Atelier to make something
like them again. Each tool stores its settings its own way; this module turns each into one
"recipe-like" dict the UI can show and copy into the generation form.

Reading is forgiving: metadata we do not understand (an unknown tool, a damaged chunk, odd
values) gives None or fewer keys, never an exception, because a gallery must open any image.

Pure Pillow (imported where used, not when the window starts) and the standard library;
no Qt, no torch.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

from .metadata import ATELIER_KEY, PARAMETERS_KEY, read_recipe
from .schedulers import SCHEDULERS

log = logging.getLogger(__name__)

INVOKEAI_KEY = "invokeai_metadata"
COMFYUI_PROMPT_KEY = "prompt"
COMFYUI_WORKFLOW_KEY = "workflow"

# A1111's ``Key: value`` pair: a quoted value may hold commas and colons, a bare one stops at
# the next comma. Same pattern A1111 uses to read its own text back.
_A1111_PAIR = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_A1111_SETTINGS_START = "Steps: "
_A1111_NEGATIVE_START = "Negative prompt: "
# "Automatic" means "the sampler's own schedule", which A1111 writes out by name when it is not
# the plain one; for our purposes it is the same as no Schedule type at all.
_A1111_DEFAULT_SCHEDULES = {"", "Automatic"}

# ComfyUI's sampler and scheduler ids, as A1111's Sampler and Schedule type, so one table
# (schedulers.py) decides which of our samplers is the same. Others have no equal here.
_COMFYUI_SAMPLERS = {
    "euler": "Euler",
    "euler_ancestral": "Euler a",
    "heun": "Heun",
    "lms": "LMS",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_sde": "DPM++ 2M SDE",
    "ddim": "DDIM",
    "uni_pc": "UniPC",
}
_COMFYUI_SCHEDULES = {"normal": "", "karras": "Karras"}
_COMFYUI_SAMPLER_NODES = {"KSampler", "KSamplerAdvanced"}
# Inputs that carry a literal through a helper node (a seed or string node) to its user.
_COMFYUI_LITERAL_INPUTS = ("value", "seed", "noise_seed", "int", "float", "string", "text")
# Inputs through which conditioning passes unchanged in meaning (combine, area, timestep...).
_COMFYUI_CONDITIONING_INPUTS = ("conditioning", "conditioning_1", "conditioning_to")
_COMFYUI_CHECKPOINT_INPUTS = ("ckpt_name", "unet_name")
_COMFYUI_MAX_HOPS = 4

# InvokeAI's scheduler ids (``_k`` = Karras sigmas) mapped straight to our names.
_INVOKEAI_SCHEDULERS = {
    "ddim": "DDIM",
    "euler": "Euler",
    "euler_a": "Euler a",
    "heun": "Heun",
    "lms": "LMS",
    "lms_k": "LMS Karras",
    "pndm": "PNDM",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_k": "DPM++ 2M Karras",
    "dpmpp_2m_sde": "DPM++ 2M SDE",
    "unipc": "UniPC",
}

_EXIF_IFD = 0x8769
_EXIF_USER_COMMENT = 0x9286


def read_generation_info(path_or_image) -> dict | None:
    """The prompt and settings stored in an image by Atelier, InvokeAI, ComfyUI or A1111.

    Returns a recipe-like dict, or None when the image carries no metadata we understand.
    Keys, each present only when known: ``tool`` ("atelier", "invokeai", "comfyui", "a1111"),
    ``prompt``, ``negative_prompt``, ``seed``, ``steps``, ``guidance``, ``width``, ``height``,
    ``scheduler`` (our sampler name, only when the tool's sampler is one we have),
    ``sampler_original`` and ``schedule_original`` (the tool's own words, so nothing is
    hidden when we have no equal), ``model`` ({"name", "hash"}), and ``raw`` (the chunk text
    the values came from; ComfyUI adds ``raw_workflow``, the UI graph, to reopen it there).

    For Atelier's own chunk the dict is the full ``Recipe.to_dict()`` plus ``tool`` and ``raw``.
    When several tools' chunks are present (an image edited in turn by several tools, or ours,
    which carry A1111 text too) the most complete wins: atelier > invokeai > comfyui > a1111.

    Never raises for absent, unknown or malformed metadata. Opening the file itself can
    raise whatever Pillow raises (missing file, not an image).
    """
    from PIL import Image

    if isinstance(path_or_image, Image.Image):
        return _read(path_or_image)
    with Image.open(path_or_image) as image:
        return _read(image)


def _read(image: Image.Image) -> dict | None:
    """Try each tool in precedence order; a chunk that does not parse falls through."""
    chunks = _chunks(image)
    recipe = read_recipe(image)
    if recipe is not None:
        return {**recipe.to_dict(), "tool": "atelier", "raw": chunks[ATELIER_KEY]}
    for reader in (_from_invokeai, _from_comfyui, _from_a1111):
        info = reader(chunks)
        if info is not None:
            return info
    return None


# --- where the text lives ---------------------------------------------------------------


def _chunks(image: Image.Image) -> dict[str, str]:
    """Text metadata by key: PNG text chunks, else A1111 text kept in a JPEG/WebP.

    PNG's ``.text`` also finds chunks written after the pixel data. JPEG and WebP have no
    text chunks: A1111 puts its ``parameters`` in the EXIF UserComment, a few tools in the
    JPEG comment.
    """
    text = getattr(image, "text", None)
    source = text if text is not None else image.info
    chunks = {key: value for key, value in source.items() if isinstance(value, str)}
    if PARAMETERS_KEY not in chunks:
        for candidate in (_exif_user_comment(image), _jpeg_comment(image)):
            if candidate and _A1111_SETTINGS_START in candidate:
                chunks[PARAMETERS_KEY] = candidate
                break
    return chunks


def _exif_user_comment(image: Image.Image) -> str | None:
    """EXIF UserComment as text; its first 8 bytes name the encoding (EXIF 2.3, 4.6.5)."""
    try:
        value = image.getexif().get_ifd(_EXIF_IFD).get(_EXIF_USER_COMMENT)
    except Exception as error:  # Pillow's EXIF parser raises many kinds on bad data
        log.debug("ignoring unreadable EXIF: %s", error)
        return None
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return None
    prefix, body = value[:8], value[8:]
    if prefix.startswith(b"UNICODE"):
        return _decode_utf16(body)
    return body.decode("utf-8", errors="replace").rstrip("\0")


def _decode_utf16(body: bytes) -> str:
    """UTF-16 of unstated byte order: A1111 (piexif) writes big-endian, some tools little.

    Prompts are mostly ASCII, so the zero byte of the first character tells the order.
    """
    if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return body.decode("utf-16", errors="replace")
    order = "utf-16-le" if body[1:2] == b"\0" and body[:1] != b"\0" else "utf-16-be"
    return body.decode(order, errors="replace").rstrip("\0")


def _jpeg_comment(image: Image.Image) -> str | None:
    comment = image.info.get("comment")
    if isinstance(comment, bytes):
        return comment.decode("utf-8", errors="replace")
    return comment if isinstance(comment, str) else None


# --- A1111 -------------------------------------------------------------------------------


def _from_a1111(chunks: dict) -> dict | None:
    """A1111's ``parameters`` text: prompt lines, ``Negative prompt:`` lines, settings line.

    Text without a settings line is still someone's prompt (some tools write only that), so
    it comes back whole as the prompt rather than being dropped.
    """
    raw = chunks.get(PARAMETERS_KEY)
    if raw is None or not raw.strip():
        return None
    lines = raw.strip().split("\n")
    settings_at = _last_settings_line(lines)
    if settings_at is None:
        return {"tool": "a1111", "prompt": raw.strip(), "raw": raw}
    prompt, negative = _a1111_prompts(lines[:settings_at])
    settings = _a1111_settings(lines[settings_at])
    return _compact(
        {
            "tool": "a1111",
            "prompt": prompt,
            "negative_prompt": negative,
            **_a1111_values(settings),
            "raw": raw,
        }
    )


def _last_settings_line(lines: list[str]) -> int | None:
    """Index of the settings line: the last one starting ``Steps: `` (a prompt line rarely does)."""
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith(_A1111_SETTINGS_START):
            return index
    return None


def _a1111_prompts(lines: list[str]) -> tuple[str, str]:
    """Split prompt from negative prompt; either may span several lines."""
    for index, line in enumerate(lines):
        if line.startswith(_A1111_NEGATIVE_START):
            negative = [line[len(_A1111_NEGATIVE_START) :], *lines[index + 1 :]]
            return "\n".join(lines[:index]), "\n".join(negative)
    return "\n".join(lines), ""


def _a1111_settings(line: str) -> dict[str, str]:
    """``Key: value`` pairs; quoted values are JSON strings and may hold ``,`` and ``:``."""
    settings = {}
    for match in _A1111_PAIR.finditer(line):
        key, value = match.group(1).strip(), match.group(2).strip()
        if value.startswith('"') and value.endswith('"') and len(value) > 1:
            try:
                value = json.loads(value)
            except ValueError:
                pass  # not valid JSON after all: keep the text as written
        settings[key] = value
    return settings


def _a1111_values(settings: dict[str, str]) -> dict:
    """Our keys from A1111's settings; a value that does not parse is left out."""
    width, height = _size(settings.get("Size"))
    sampler = settings.get("Sampler")
    schedule = settings.get("Schedule type")
    return {
        "seed": _as_int(settings.get("Seed")),
        "steps": _as_int(settings.get("Steps")),
        "guidance": _as_float(settings.get("CFG scale")),
        "width": width,
        "height": height,
        "scheduler": _scheduler_for_a1111(sampler, schedule) if sampler else None,
        "sampler_original": sampler,
        "schedule_original": schedule,
        "model": _model(settings.get("Model"), settings.get("Model hash")),
    }


def _size(value) -> tuple[int | None, int | None]:
    """``"832x1216"`` as (832, 1216); anything else as unknown."""
    if not isinstance(value, str) or "x" not in value:
        return None, None
    width, _, height = value.partition("x")
    return _as_int(width), _as_int(height)


def _scheduler_for_a1111(sampler: str, schedule: str | None) -> str | None:
    """Our sampler with this A1111 Sampler + Schedule type, or None when we have no equal.

    A1111 before 1.9 put the schedule in the sampler's name ("DPM++ 2M Karras"), which is
    also our name for it, hence the fallback on names.
    """
    schedule = "" if schedule is None or schedule in _A1111_DEFAULT_SCHEDULES else schedule
    for spec in SCHEDULERS.values():
        if spec.a1111_sampler and (spec.a1111_sampler, spec.a1111_schedule) == (sampler, schedule):
            return spec.name
    if not schedule and sampler in SCHEDULERS:
        return sampler
    return None


# --- InvokeAI ----------------------------------------------------------------------------


def _from_invokeai(chunks: dict) -> dict | None:
    """InvokeAI's ``invokeai_metadata`` JSON: flat keys, already one value each."""
    raw = chunks.get(INVOKEAI_KEY)
    data = _json_object(raw)
    if data is None:
        return None
    scheduler = _text(data.get("scheduler"))
    return _compact(
        {
            "tool": "invokeai",
            "prompt": _text(data.get("positive_prompt")),
            "negative_prompt": _text(data.get("negative_prompt")),
            "seed": _as_int(data.get("seed")),
            "steps": _as_int(data.get("steps")),
            "guidance": _as_float(data.get("cfg_scale")),
            "width": _as_int(data.get("width")),
            "height": _as_int(data.get("height")),
            "scheduler": _INVOKEAI_SCHEDULERS.get(scheduler),
            "sampler_original": scheduler,
            "model": _invokeai_model(data.get("model")),
            "raw": raw,
        }
    )


def _invokeai_model(model) -> dict | None:
    """InvokeAI 3 names the model ``model_name``, InvokeAI 4+ ``name`` (with a ``hash``)."""
    if isinstance(model, str):
        return _model(model, None)
    if not isinstance(model, dict):
        return None
    return _model(model.get("name") or model.get("model_name"), model.get("hash"))


# --- ComfyUI -----------------------------------------------------------------------------


def _from_comfyui(chunks: dict) -> dict | None:
    """ComfyUI's ``prompt`` chunk (the API graph, which holds the values) and ``workflow``.

    Settings come from walking the graph from its sampler node. A workflow alone (the UI
    graph) still tells the tool and is kept whole, so the artist can reopen it in ComfyUI.
    """
    raw_prompt = chunks.get(COMFYUI_PROMPT_KEY)
    raw_workflow = chunks.get(COMFYUI_WORKFLOW_KEY)
    graph = _comfyui_graph(raw_prompt)
    has_workflow = _is_comfyui_workflow(raw_workflow)
    if graph is None:
        return {"tool": "comfyui", "raw": raw_workflow} if has_workflow else None
    info = {"tool": "comfyui", **_comfyui_settings(graph), "raw": raw_prompt}
    if has_workflow:
        info["raw_workflow"] = raw_workflow
    return _compact(info)


def _comfyui_graph(raw) -> dict | None:
    """The API graph's nodes (id -> node with ``class_type`` and ``inputs``), or None."""
    data = _json_object(raw)
    if data is None:
        return None
    nodes = {str(node_id): node for node_id, node in data.items() if _is_comfyui_node(node)}
    return nodes or None


def _is_comfyui_workflow(raw) -> bool:
    """Whether ``raw`` is a ComfyUI UI graph (an object with a ``nodes`` list)."""
    data = _json_object(raw)
    return data is not None and isinstance(data.get("nodes"), list)


def _is_comfyui_node(node) -> bool:
    return (
        isinstance(node, dict)
        and isinstance(node.get("class_type"), str)
        and isinstance(node.get("inputs"), dict)
    )


def _comfyui_settings(graph: dict) -> dict:
    """Our keys from the sampler node and the nodes its inputs link to."""
    sampler = _comfyui_sampler(graph)
    if sampler is None:
        return {}
    inputs = sampler["inputs"]
    width, height = _comfyui_size(graph, inputs.get("latent_image"))
    sampler_name = _text(_comfyui_literal(graph, inputs.get("sampler_name")))
    schedule = _text(_comfyui_literal(graph, inputs.get("scheduler")))
    seed = inputs.get("seed", inputs.get("noise_seed"))
    return {
        "prompt": _comfyui_text(graph, inputs.get("positive")),
        "negative_prompt": _comfyui_text(graph, inputs.get("negative")),
        "seed": _as_int(_comfyui_literal(graph, seed)),
        "steps": _as_int(_comfyui_literal(graph, inputs.get("steps"))),
        "guidance": _as_float(_comfyui_literal(graph, inputs.get("cfg"))),
        "width": width,
        "height": height,
        "scheduler": _scheduler_for_comfyui(sampler_name, schedule),
        "sampler_original": sampler_name,
        "schedule_original": schedule,
        "model": _comfyui_model(graph, inputs.get("model")),
    }


def _comfyui_sampler(graph: dict) -> dict | None:
    """The sampler that made the image from noise.

    Graphs with a second pass (hires fix, SDXL refiner) have several samplers; the one fed
    an empty latent holds the seed and size the artist chose. Failing that, the first by id.
    """
    nodes = [node for _, node in sorted(graph.items(), key=_node_order)]
    samplers = [node for node in nodes if node["class_type"] in _COMFYUI_SAMPLER_NODES]
    for node in samplers:
        if _comfyui_size(graph, node["inputs"].get("latent_image")) != (None, None):
            return node
    return samplers[0] if samplers else None


def _node_order(item) -> tuple:
    """Numeric ids in number order ("3" before "10"), then any others by name."""
    node_id = item[0]
    return (0, int(node_id), "") if node_id.isdigit() else (1, 0, node_id)


def _comfyui_target(graph: dict, value) -> tuple[dict | None, int]:
    """The node an input links to (``[node_id, output_index]``) and the output used."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
        node = graph.get(str(value[0]))
        if node is not None:
            return node, value[1]
    return None, 0


def _comfyui_literal(graph: dict, value):
    """An input's value: itself, or through one link to a helper node holding a literal."""
    node, _ = _comfyui_target(graph, value)
    if node is None:
        return value if not isinstance(value, list) else None
    for name in _COMFYUI_LITERAL_INPUTS:
        literal = node["inputs"].get(name)
        if literal is not None and not isinstance(literal, (list, dict)):
            return literal
    return None


def _comfyui_text(graph: dict, link, hops: int = _COMFYUI_MAX_HOPS) -> str | None:
    """The prompt text behind a conditioning link.

    Text encoders hold ``text`` (SDXL's: ``text_g`` and ``text_l``, joined by a newline when
    they differ). Nodes that only pass conditioning on are followed a few hops; for those
    with both ``positive`` and ``negative`` (ControlNet apply), the output used picks which.
    """
    node, output = _comfyui_target(graph, link)
    if node is None:
        return None
    inputs = node["inputs"]
    if "text_g" in inputs or "text_l" in inputs:
        parts = [_text(_comfyui_literal(graph, inputs.get(name))) for name in ("text_g", "text_l")]
        return "\n".join(dict.fromkeys(part for part in parts if part)) or None
    if "text" in inputs:
        return _text(_comfyui_literal(graph, inputs["text"]))
    if hops == 0:
        return None
    if "positive" in inputs and "negative" in inputs:
        return _comfyui_text(graph, inputs["negative" if output == 1 else "positive"], hops - 1)
    for name in _COMFYUI_CONDITIONING_INPUTS:
        if name in inputs:
            return _comfyui_text(graph, inputs[name], hops - 1)
    return None


def _comfyui_size(graph: dict, link) -> tuple[int | None, int | None]:
    """Width and height of the latent a sampler starts from (EmptyLatentImage and kin)."""
    node, _ = _comfyui_target(graph, link)
    if node is None:
        return None, None
    inputs = node["inputs"]
    width = _as_int(_comfyui_literal(graph, inputs.get("width")))
    height = _as_int(_comfyui_literal(graph, inputs.get("height")))
    return (width, height) if width is not None and height is not None else (None, None)


def _comfyui_model(graph: dict, link, hops: int = _COMFYUI_MAX_HOPS) -> dict | None:
    """The checkpoint behind a model link, through LoRA and other model-patching nodes.

    The name is ComfyUI's file name as written (folder and extension included), since that
    is what the artist will find on disk.
    """
    node, _ = _comfyui_target(graph, link)
    if node is None:
        return None
    inputs = node["inputs"]
    for name in _COMFYUI_CHECKPOINT_INPUTS:
        checkpoint = _text(_comfyui_literal(graph, inputs.get(name)))
        if checkpoint:
            return {"name": checkpoint}
    return _comfyui_model(graph, inputs.get("model"), hops - 1) if hops else None


def _scheduler_for_comfyui(sampler: str | None, schedule: str | None) -> str | None:
    """Our sampler for a ComfyUI sampler + scheduler, via their A1111 names."""
    a1111_sampler = _COMFYUI_SAMPLERS.get(sampler)
    a1111_schedule = _COMFYUI_SCHEDULES.get(schedule or "normal")
    if a1111_sampler is None or a1111_schedule is None:
        return None
    return _scheduler_for_a1111(a1111_sampler, a1111_schedule)


# --- small parsers -----------------------------------------------------------------------


def _json_object(raw) -> dict | None:
    """``raw`` parsed as a JSON object, or None: other tools reuse generic keys like ``prompt``."""
    if not isinstance(raw, str):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _as_int(value) -> int | None:
    """An int from JSON or text; bools, fractions and junk are unknown, not errors."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _as_float(value) -> float | None:
    """A finite float from JSON or text; anything else is unknown."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _model(name, model_hash) -> dict | None:
    """``{"name", "hash"}`` with the parts that are known, or None when neither is."""
    model = _compact({"name": _text(name) or None, "hash": _text(model_hash) or None})
    return model or None


def _compact(info: dict) -> dict:
    """Drop unknown (None) values: absent means "not stated", never a guess."""
    return {key: value for key, value in info.items() if value is not None}
