"""Read the prompt and settings that other tools (and Atelier) leave inside image files.

Artists bring images made in AUTOMATIC1111 (and Forge, SD.Next), ComfyUI, InvokeAI (2.x and
later), NovelAI, Fooocus or SwarmUI into Atelier to make something like them again. Each tool stores its settings its own way; this module turns each into one
"recipe-like" dict the UI can show and copy into the generation form.

Reading is forgiving: metadata we do not understand (an unknown tool, a damaged chunk, odd
values) gives None or fewer keys, never an exception, because a gallery must open any image.
Reading is also bounded, because an image can be made to hurt: a metadata text longer than
``MAX_METADATA_TEXT`` is left out (with a note), and metadata no tool writes, JSON nested past
``MAX_NESTING`` or a PNG text chunk that unpacks past Pillow's limits, raises
``MetadataLimitError`` so the caller can refuse the file in one line.

Pure Pillow (imported where used, not when the window starts) and the standard library;
no Qt, no torch.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import struct
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

from .limits import MAX_SEED
from .metadata import ATELIER_KEY, PARAMETERS_KEY, recipe_from_text
from .schedulers import SCHEDULERS

log = logging.getLogger(__name__)

INVOKEAI_KEY = "invokeai_metadata"
COMFYUI_PROMPT_KEY = "prompt"
COMFYUI_WORKFLOW_KEY = "workflow"
INVOKEAI_LEGACY_KEY = "sd-metadata"  # InvokeAI 2.x, with its command line in DREAM_KEY
DREAM_KEY = "Dream"
NOVELAI_KEY = "Comment"  # with the prompt again in "Description" and "NovelAI" in "Software"
NOVELAI_PROMPT_KEY = "Description"
# The texts read here; any other (XMP, a tool's private notes) is never parsed.
METADATA_KEYS = (ATELIER_KEY, INVOKEAI_KEY, COMFYUI_PROMPT_KEY, COMFYUI_WORKFLOW_KEY, PARAMETERS_KEY,
                 INVOKEAI_LEGACY_KEY, DREAM_KEY, NOVELAI_KEY, NOVELAI_PROMPT_KEY)

MAX_METADATA_TEXT = 1024 * 1024
"""The longest metadata text (characters) that is parsed; a longer one is left out, with a note.
The same as Pillow's ``PngImagePlugin.MAX_TEXT_CHUNK``, the most Pillow, and so A1111 and
ComfyUI, which read with it, unpack from one compressed PNG text chunk. Real ones are far
smaller: a prompt is a few hundred characters, a large ComfyUI workflow a few hundred KB."""
MAX_NESTING = 32
"""The deepest JSON (objects and lists) kept from a metadata text; ComfyUI's graphs go 4 deep."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
# Encoders write pixel data in chunks of 8 KB (libpng) to 64 KB (Pillow): a real image never
# has this many that small.
_MAX_SMALL_CHUNKS = 100_000

# A1111's ``Key: value`` pair: a quoted value may hold commas and colons, a bare one stops at
# the next comma. The pattern A1111 uses to read its own text back, in two parts (see
# ``_a1111_pairs``).
_A1111_SPACE = re.compile(r"\s*")
_A1111_KEY = re.compile(r"\w[\w \-/]+")
_A1111_VALUE = re.compile(r':\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_A1111_SETTINGS_START = "Steps: "
_A1111_NEGATIVE_START = "Negative prompt: "
# "Automatic" means "the sampler's own schedule", which A1111 writes out by name when it is not
# the plain one; for our purposes it is the same as no Schedule type at all.
_A1111_DEFAULT_SCHEDULES = {"", "Automatic"}
# A LoRA (or LyCORIS) named in a prompt; a second number (the text encoder's weight) may follow.
_A1111_LORA = re.compile(r"<(?:lora|lyco):(?P<name>[^:<>]+)(?::(?P<weight>[^:<>]*))?(?::[^<>]*)?>")

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
# Samplers: the classic ones hold every setting; the custom ones take them from helper nodes
# (RandomNoise, KSamplerSelect, BasicScheduler and kin, CFGGuider or BasicGuider), as Flux and
# SD3 graphs do.
_COMFYUI_SAMPLER_NODES = {"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"}
# Where a graph's image ends up: a saved one says more than a preview.
_COMFYUI_OUTPUT_NODES = (("SaveImage", "Image Save", "SaveImageWebsocket"), ("PreviewImage",))
# Sigma schedulers named after their schedule rather than holding a ``scheduler`` input.
_COMFYUI_SCHEDULER_NODES = {
    "KarrasScheduler": "karras", "ExponentialScheduler": "exponential", "PolyexponentialScheduler": "polyexponential",
    "SDTurboScheduler": "sd_turbo", "AlignYourStepsScheduler": "align_your_steps", "BetaSamplingScheduler": "beta",
    "LaplaceScheduler": "laplace", "VPScheduler": "vp", "GITSScheduler": "gits",
}
# Inputs that carry a literal through a helper node (a seed or string node) to its user.
_COMFYUI_LITERAL_INPUTS = ("value", "seed", "noise_seed", "int", "float", "string", "text")
# Inputs through which conditioning passes unchanged in meaning (combine, area, timestep, Flux
# guidance...).
_COMFYUI_CONDITIONING_INPUTS = ("conditioning", "conditioning_1", "conditioning_to")
# A text encoder's prompt parts, main one first: SDXL's G and L, Flux's T5 and CLIP-L, SD3's.
_COMFYUI_TEXT_PARTS = ("text_g", "text_l", "t5xxl", "clip_g", "clip_l")
_COMFYUI_CHECKPOINT_INPUTS = ("ckpt_name", "unet_name")
_COMFYUI_MAX_HOPS = 8
# Samplers weighed to find the first pass; a graph has a few, one made to hurt may have many.
_COMFYUI_MAX_SAMPLERS = 64
# Model patches (LoRAs above all) can be stacked deep; a cycle still ends here.
_COMFYUI_MAX_MODEL_HOPS = 32
# The UI graph's ``widgets_values`` by position, for the nodes whose values are read; None
# is the "control after generate" choice the UI puts after a seed.
_COMFYUI_WIDGETS = {
    "KSampler": ("seed", None, "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": ("add_noise", "noise_seed", None, "steps", "cfg", "sampler_name", "scheduler"),
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeSDXL": ("width", "height", "crop_w", "crop_h", "target_width", "target_height", "text_g", "text_l"),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "UNETLoader": ("unet_name",),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "PrimitiveNode": ("value",),  # the UI's own literal, linked to a widget turned into an input
    "SamplerCustom": ("add_noise", "noise_seed", None, "cfg"),
    "RandomNoise": ("noise_seed", None),
    "KSamplerSelect": ("sampler_name",),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "KarrasScheduler": ("steps", "sigma_max", "sigma_min", "rho"),
    "SDTurboScheduler": ("steps", "denoise"),
    "CFGGuider": ("cfg",),
    "FluxGuidance": ("guidance",),
    "CLIPTextEncodeFlux": ("clip_l", "t5xxl", "guidance"),
    "PrimitiveInt": ("value", None),
    "PrimitiveFloat": ("value",),
    "PrimitiveString": ("value",),
    "PrimitiveStringMultiline": ("value",),
}

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


class MetadataLimitError(ValueError):
    """Metadata past what any tool writes: the file is damaged or made to hurt. ``str()`` is
    the reason, worded to follow a file name ("its 'prompt' metadata is nested too deeply")."""


def read_generation_info(path_or_image, notes: list[str] | None = None) -> dict | None:
    """The prompt and settings stored in an image by Atelier or another tool.

    Returns a recipe-like dict, or None when the image carries no metadata we understand.
    Keys, each present only when known: ``tool`` ("atelier", "invokeai", "comfyui", "novelai",
    "swarmui", "fooocus", "a1111"), ``prompt``, ``negative_prompt``, ``seed`` (as written,
    which can be past our 32-bit seeds: then ``seed_note`` says so, for a person),
    ``steps``, ``guidance``, ``width``, ``height``, ``scheduler`` (our sampler name, only
    when the tool's sampler is one we have), ``sampler_original`` and ``schedule_original``
    (the tool's own words, so nothing is hidden when we have no equal), ``model`` ({"name",
    "hash"}), ``loras`` ([{"name", "weight", "hash"}], each part when known), and ``raw``
    (the text the values came from; ComfyUI adds ``raw_workflow``, the UI graph, to reopen
    it there).

    For Atelier's own chunk the dict is the full ``Recipe.to_dict()`` plus ``tool`` and ``raw``.
    When several tools' chunks are present (an image edited in turn by several tools, or ours,
    which carry A1111 text too) the most complete wins, in ``_READERS`` order. Only when no
    text gave anything are the pixels read for text hidden in their lowest bits
    (``stealth_info``).

    Never raises for absent, unknown or malformed metadata, except ``MetadataLimitError``
    for metadata no tool writes (see the module's docstring). What was left out, and why, is
    said in one line each in ``notes``, a list the caller passes to hear of it. Opening the
    file itself can raise whatever Pillow raises (missing file, not an image).
    """
    from PIL import Image

    notes = notes if notes is not None else []
    if isinstance(path_or_image, Image.Image):
        return _read_image(path_or_image, notes)
    with Image.open(path_or_image) as image:
        return _read_image(image, notes)


def _read_image(image: Image.Image, notes: list[str]) -> dict | None:
    info = generation_info_from_chunks(_chunks(image, notes), notes)
    return info if info is not None else hidden_generation_info(image, notes)


def generation_info_from_chunks(chunks: dict[str, str], notes: list[str] | None = None) -> dict | None:
    """``read_generation_info`` from text metadata already read (``png_text_chunks``)."""
    chunks = _readable(chunks, notes if notes is not None else [])
    for tool, reader in _READERS:
        try:
            info = reader(chunks)
        except RecursionError:  # json gives up past about 1000 levels, cleanly
            raise MetadataLimitError(f"its {tool} metadata is nested too deeply to read") from None
        if info is not None:  # the first to understand its chunks wins; the rest fall through
            if _nesting(info) > MAX_NESTING:
                raise MetadataLimitError(f"its {tool} metadata is nested more than {MAX_NESTING} levels deep")
            return _with_seed_note(info)
    return None


def hidden_generation_info(image: Image.Image, notes: list[str] | None = None) -> dict | None:
    """``read_generation_info`` from the text A1111's stealth-pnginfo extension or NovelAI hid
    in the pixels' lowest bits. It decodes pixels: call it only when the text chunks gave
    nothing. Damaged pixel data, like a damaged payload, is a note, never an exception."""
    from .stealth_info import hidden_text

    notes = notes if notes is not None else []
    try:
        text = hidden_text(image, notes)
    except MemoryError:
        raise
    except Exception as error:  # Pillow raises many kinds for damaged pixel data
        notes.append(f"its pixels could not be read for hidden metadata ({_first_line(error)})")
        return None
    if text is None:
        return None
    novelai = _json_object(text)
    if novelai is not None and (NOVELAI_KEY in novelai or NOVELAI_PROMPT_KEY in novelai):
        # NovelAI's text chunks as one object; a chunk may come as JSON rather than its text.
        chunks = {key: value if isinstance(value, str) else json.dumps(value) for key, value in novelai.items()}
    else:
        chunks = {PARAMETERS_KEY: text}
    return generation_info_from_chunks(chunks, notes)


def _with_seed_note(info: dict) -> dict:
    """``info``, saying so when its seed is past what Atelier's generator takes."""
    seed = info.get("seed")
    if isinstance(seed, int) and not 0 <= seed <= MAX_SEED:
        info["seed_note"] = (f"Seed {seed} is outside the 32-bit seeds (0 to {MAX_SEED}) Atelier uses, "
                             "so it cannot be reused as is")
    return info


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def png_text_chunks(data: bytes) -> dict[str, str]:
    """Every text chunk of PNG file bytes, before the pixels or after them, as Pillow reads
    them (tEXt and zTXt as Latin-1, iTXt as UTF-8; a later chunk of a key wins). Only the
    text is touched, so this takes the same short time for any image, animated ones too.

    Raises ``MetadataLimitError`` where Pillow would refuse the file: a compressed chunk that
    unpacks past ``PngImagePlugin.MAX_TEXT_CHUNK``, or more than ``MAX_TEXT_MEMORY`` of text
    in all; and for more than ``_MAX_SMALL_CHUNKS`` chunks of under 1 KB on average, which
    Pillow walks at about 3 µs each (a 300 MB file of empty chunks: over a minute). Damaged
    chunks are skipped; whether the image itself is whole is Pillow's to say.
    """
    from PIL import PngImagePlugin

    if not data.startswith(PNG_SIGNATURE):
        return {}
    texts: dict[str, str] = {}
    total, position, count = 0, len(PNG_SIGNATURE), 0
    view = memoryview(data)  # slices of it copy nothing
    while position + 8 <= len(data):
        count += 1
        if count > _MAX_SMALL_CHUNKS and count * 1024 > len(data):
            raise MetadataLimitError(f"it is made of more than {_MAX_SMALL_CHUNKS:,} tiny PNG chunks")
        length, kind = struct.unpack_from(">I4s", data, position)
        start = position + 8
        if kind == b"IEND" or start + length > len(data):
            break
        if kind in _PNG_TEXT_CHUNKS:
            text = _png_text(kind, view[start : start + length], PngImagePlugin.MAX_TEXT_CHUNK)
            if text is not None:
                total += len(text[1])
                if total > PngImagePlugin.MAX_TEXT_MEMORY:
                    raise MetadataLimitError(
                        f"its text metadata adds up to more than {describe_size(PngImagePlugin.MAX_TEXT_MEMORY)}")
                texts[text[0]] = text[1]
        position = start + length + 4  # and the CRC
    return texts


def _png_text(kind: bytes, body: memoryview, limit: int) -> tuple[str, str] | None:
    """(key, text) of one text chunk, or None for a damaged one (PNG spec 11.3.4)."""
    key = bytes(body[:80]).partition(b"\0")[0]  # keys are 1 to 79 bytes
    if not key or len(key) == len(body):
        return None
    name, rest = key.decode("latin-1"), body[len(key) + 1 :]
    if kind == b"tEXt":
        return name, codecs.decode(rest, "latin-1")
    if kind == b"zTXt":  # method byte (0: zlib), then the compressed text
        if bytes(rest[:1]) != b"\0":
            return None
        value = _unpack(rest[1:], limit, name)
        return None if value is None else (name, value.decode("latin-1"))
    # iTXt: compressed flag, method, language\0, translated key\0, then the text
    head = bytes(rest[:2 + 2 * 1024])  # language tags and translated keys are short
    fields = head[2:].split(b"\0", 2)
    if len(head) < 2 or len(fields) < 3 or (head[0] and head[1] != 0):
        return None
    text = rest[2 + len(fields[0]) + len(fields[1]) + 2 :]
    value = _unpack(text, limit, name) if head[0] else text
    try:
        return None if value is None else (name, codecs.decode(value, "utf-8"))
    except UnicodeDecodeError:
        return None


def _unpack(data: memoryview, limit: int, key: str) -> bytes | None:
    """zlib data unpacked to at most ``limit`` bytes; never more is held in memory."""
    inflater = zlib.decompressobj()
    try:
        value = inflater.decompress(data, limit)
    except zlib.error:
        return None
    if inflater.unconsumed_tail:
        raise MetadataLimitError(f"its {key!r} metadata unpacks to more than {describe_size(limit)}")
    return value


def describe_size(size: int) -> str:
    """Bytes (or characters) for a person: "50.0 MB", "1 MB", "640 KB"."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{size} bytes"


def _readable(chunks: dict[str, str], notes: list[str]) -> dict[str, str]:
    """``chunks`` without the metadata texts too long to parse, each named in ``notes``."""
    kept = {}
    for key, value in chunks.items():
        if key in METADATA_KEYS and len(value) > MAX_METADATA_TEXT:
            notes.append(f"its {key!r} metadata ({describe_size(len(value))}) is longer than the "
                         f"{describe_size(MAX_METADATA_TEXT)} Atelier reads, so it was left out")
            continue
        kept[key] = value
    return kept


def _nesting(value) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a plain value), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _from_atelier(chunks: dict) -> dict | None:
    """Our own ``atelier`` chunk: the whole recipe."""
    raw = chunks.get(ATELIER_KEY)
    recipe = recipe_from_text(raw) if raw is not None else None
    return None if recipe is None else {**recipe.to_dict(), "tool": "atelier", "raw": raw}


# --- where the text lives ---------------------------------------------------------------


def _chunks(image: Image.Image, notes: list[str]) -> dict[str, str]:
    """Text metadata by key: PNG text chunks, else A1111 text kept in a JPEG/WebP.

    PNG's ``.text`` also finds chunks written after the pixel data, by decoding the pixels;
    when they are damaged, the chunks before them are still read. JPEG and WebP have no
    text chunks: A1111, Fooocus and SwarmUI put their ``parameters`` in the EXIF
    UserComment, a few tools in the JPEG comment.
    """
    try:
        source = getattr(image, "text", None)
    except MemoryError:
        raise
    except Exception as error:  # Pillow raises many kinds for damaged pixel data
        notes.append(f"its pixel data is damaged ({_first_line(error)}), so only the metadata before it was read")
        source = None
    if source is None:
        source = image.info
    chunks = {key: value for key, value in source.items() if isinstance(value, str)}
    if PARAMETERS_KEY not in chunks:
        for candidate in (_exif_user_comment(image), _jpeg_comment(image)):
            if candidate and (_A1111_SETTINGS_START in candidate or _parameters_json_tool(candidate)):
                chunks[PARAMETERS_KEY] = candidate
                break
    return chunks


def _exif_user_comment(image: Image.Image) -> str | None:
    """EXIF UserComment as text; its first 8 bytes name the encoding (EXIF 2.3, 4.6.5)."""
    try:
        exif = image.getexif()
        # Fooocus writes it in the first IFD, where EXIF has no UserComment; others in the Exif IFD.
        value = exif.get_ifd(_EXIF_IFD).get(_EXIF_USER_COMMENT) or exif.get(_EXIF_USER_COMMENT)
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
    # Fooocus writes this form too, when set to; Forge and SD.Next are A1111 underneath.
    tool = "fooocus" if str(settings.get("Version", "")).startswith("Fooocus") else "a1111"
    return _compact(
        {
            "tool": tool,
            "prompt": prompt,
            "negative_prompt": negative,
            **_a1111_values(settings),
            "loras": _a1111_loras(prompt, settings.get("Lora hashes")) or None,
            "raw": raw,
        }
    )


def _a1111_loras(prompt: str, hashes) -> list[dict]:
    """The LoRAs an A1111 prompt calls (``<lora:name:weight>``, a LyCORIS as ``<lyco:...>``),
    each with its hash from the ``Lora hashes`` setting ("name: hash, name: hash")."""
    by_name = {}
    if isinstance(hashes, str):
        for pair in hashes.split(","):
            name, _, value = pair.rpartition(":")
            if name.strip() and value.strip():
                by_name[name.strip()] = value.strip()
    loras = []
    for match in _A1111_LORA.finditer(prompt):
        name = match["name"].strip()
        weight = _as_float(match["weight"]) if match["weight"] is not None else 1.0
        loras.append(_compact({"name": name, "weight": weight, "hash": by_name.pop(name, None)}))
    # Hashes of LoRAs the prompt does not name (an extension added them): still the artist's.
    loras += [{"name": name, "hash": value} for name, value in by_name.items()]
    return loras


def _a1111_pairs(line: str):
    """(key, value) as A1111's ``re.findall`` of its pattern finds them, in linear time.

    A search that fails at a run of words (``\\w[\\w \\-/]+``) not followed by a colon fails
    at every start inside that run too, so the search goes on after the run rather than at its
    next character: that took 20 s for a 64 KB line without colons, and grows as its square.
    """
    position = 0
    while position < len(line):
        start = _A1111_SPACE.match(line, position).end()
        key = _A1111_KEY.match(line, start)
        if key is None:
            position = start + 1
            continue
        value = _A1111_VALUE.match(line, key.end())
        if value is None:
            position = key.end()
            continue
        yield key.group(), value.group(1)
        position = value.end()


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
    for key, value in _a1111_pairs(line):
        key, value = key.strip(), value.strip()
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


# InvokeAI 2.x's sampler ids (the k-diffusion ones start ``k_``) as our names.
_INVOKEAI_LEGACY_SAMPLERS = {
    "ddim": "DDIM",
    "plms": "PNDM",
    "k_lms": "LMS",
    "k_euler": "Euler",
    "k_euler_a": "Euler a",
    "k_heun": "Heun",
}
# The Dream command line: the quoted prompt, then switches such as ``-s 50`` (or ``-s50``).
_DREAM = re.compile(r'\s*"(?P<prompt>.*)"(?P<switches>[^"]*)', re.DOTALL)
_DREAM_SWITCH = re.compile(r"(?:^|\s)-(?P<key>[A-Za-z])\s*(?!-[A-Za-z])(?P<value>\S+)?")
# InvokeAI 2.x's negative prompt: the parts of the prompt in square brackets.
_INVOKEAI_NEGATIVE = re.compile(r"\[(.*?)\]", re.DOTALL)


def _from_invokeai_legacy(chunks: dict) -> dict | None:
    """InvokeAI 2.x: ``sd-metadata`` JSON (its ``image`` holds the values), else the ``Dream``
    command line it wrote beside it (and alone, before 2.0)."""
    raw = chunks.get(INVOKEAI_LEGACY_KEY)
    data = _json_object(raw)
    image = data.get("image") if data is not None else None
    if isinstance(image, dict):
        settings = {key: image.get(key) for key in ("seed", "steps", "cfg_scale", "width", "height")}
        return _invokeai_legacy(_invokeai_weighted_prompt(image.get("prompt")), settings, _text(image.get("sampler")),
                                raw, _model(data.get("model_weights") or data.get("model_id"), data.get("model_hash")))
    return _from_dream(chunks.get(DREAM_KEY))


def _from_dream(raw) -> dict | None:
    match = _DREAM.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        return None
    switches = {found["key"]: found["value"] for found in _DREAM_SWITCH.finditer(match["switches"])}
    settings = {key: switches.get(switch) for key, switch in (("seed", "S"), ("steps", "s"), ("cfg_scale", "C"),
                                                               ("width", "W"), ("height", "H"))}
    return _invokeai_legacy(match["prompt"], settings, switches.get("A"), raw)


def _invokeai_legacy(prompt_text: str | None, settings: dict, sampler: str | None, raw: str, model=None) -> dict:
    """The info of InvokeAI 2.x's two forms, from its prompt (the negative in brackets), its
    settings by ``sd-metadata``'s names, and its sampler's own name."""
    prompt, negative = _invokeai_legacy_prompts(prompt_text)
    return _compact(
        {
            "tool": "invokeai",
            "prompt": prompt,
            "negative_prompt": negative,
            "seed": _as_int(settings["seed"]),
            "steps": _as_int(settings["steps"]),
            "guidance": _as_float(settings["cfg_scale"]),
            "width": _as_int(settings["width"]),
            "height": _as_int(settings["height"]),
            "scheduler": _INVOKEAI_LEGACY_SAMPLERS.get(sampler),
            "sampler_original": sampler,
            "model": model,
            "raw": raw,
        }
    )


def _invokeai_weighted_prompt(prompt) -> str | None:
    """InvokeAI 2.x's prompt list ([{"prompt", "weight"}]) as its gallery shows it: one
    prompt as it is, a blend as ``text:weight`` pairs joined by spaces."""
    if isinstance(prompt, str):
        return prompt
    if not isinstance(prompt, list):
        return None
    parts = [part for part in prompt if isinstance(part, dict) and isinstance(part.get("prompt"), str)]
    if len(parts) == 1:
        return parts[0]["prompt"]
    return " ".join(f"{part['prompt']}:{_number_text(part.get('weight', 1))}" for part in parts) or None


def _invokeai_legacy_prompts(text: str | None) -> tuple[str | None, str | None]:
    """Prompt and negative prompt: InvokeAI 2.x wrote the negative in ``[brackets]``."""
    if text is None:
        return None, None
    negatives = _INVOKEAI_NEGATIVE.findall(text)
    if not negatives:
        return text, None
    return _INVOKEAI_NEGATIVE.sub("", text).strip(), " ".join(negatives)


def _number_text(value) -> str:
    """A JSON number as JavaScript writes it (``1``, not ``1.0``), as InvokeAI's gallery did."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- NovelAI -----------------------------------------------------------------------------

# NovelAI's samplers and noise schedules as A1111's Sampler and Schedule type.
_NOVELAI_SAMPLERS = {
    "k_euler": "Euler",
    "k_euler_ancestral": "Euler a",
    "k_dpmpp_2m": "DPM++ 2M",
    "k_lms": "LMS",
    "k_heun": "Heun",
    "ddim": "DDIM",
    "ddim_v3": "DDIM",
    "plms": "PLMS",
}
_NOVELAI_SCHEDULES = {"native": "", "karras": "Karras"}
# NovelAI's Source: the model's name, then an 8-digit hex hash ("NovelAI Diffusion V3 C1E3AD0D").
_NOVELAI_SOURCE = re.compile(r"(?P<name>.*?)\s+(?P<hash>[0-9A-Fa-f]{8})")


def _from_novelai(chunks: dict) -> dict | None:
    """NovelAI's ``Comment`` JSON (the settings; ``uc`` is the negative prompt), with the
    prompt in ``Description`` too and "NovelAI" in ``Software``."""
    raw = chunks.get(NOVELAI_KEY)
    data = _json_object(raw)
    if data is None or not (str(chunks.get("Software", "")).startswith("NovelAI") or "uc" in data):
        return None
    sampler = _text(data.get("sampler"))
    schedule = _text(data.get("noise_schedule"))
    a1111_sampler = _NOVELAI_SAMPLERS.get(sampler)
    a1111_schedule = _NOVELAI_SCHEDULES.get(schedule or "native")
    source = _NOVELAI_SOURCE.fullmatch(str(chunks.get("Source", "")))
    return _compact(
        {
            "tool": "novelai",
            "prompt": _text(data.get("prompt")) or _text(chunks.get(NOVELAI_PROMPT_KEY))
            or _novelai_v4_caption(data.get("v4_prompt")),
            "negative_prompt": _text(data.get("uc")) or _novelai_v4_caption(data.get("v4_negative_prompt")),
            "seed": _as_int(data.get("seed")),
            "steps": _as_int(data.get("steps")),
            "guidance": _as_float(data.get("scale")),
            "width": _as_int(data.get("width")),
            "height": _as_int(data.get("height")),
            "scheduler": _scheduler_for_a1111(a1111_sampler, a1111_schedule)
            if a1111_sampler and a1111_schedule is not None else None,
            "sampler_original": sampler,
            "schedule_original": schedule,
            "model": _model(source["name"], source["hash"]) if source else _model(chunks.get("Source"), None),
            "raw": raw,
        }
    )


def _novelai_v4_caption(prompt) -> str | None:
    """NovelAI 4's structured prompt: ``{"caption": {"base_caption": text, ...}}``."""
    caption = prompt.get("caption") if isinstance(prompt, dict) else None
    return _text(caption.get("base_caption")) if isinstance(caption, dict) else None


# --- SwarmUI and Fooocus (JSON in ``parameters``) ------------------------------------------

_SWARMUI_KEY = "sui_image_params"
# The keys only Fooocus's JSON has (its own scheme, and its older log's labels).
_FOOOCUS_MARKS = ("base_model", "Base Model", "fooocus_v2_expansion", "Fooocus V2 Expansion")
_FOOOCUS_RESOLUTION = re.compile(r"\(?\s*(\d+)\s*[,x×]\s*(\d+)\s*\)?")
# Fooocus's older log writes each LoRA as "name : weight".
_FOOOCUS_LORA_LABEL = re.compile(r"LoRA \d+")


def _parameters_json_tool(text: str) -> str | None:
    """"swarmui" or "fooocus" when ``text`` is that tool's JSON, else None."""
    data = _json_object(text) if text.lstrip().startswith("{") else None
    if data is None:
        return None
    if isinstance(data.get(_SWARMUI_KEY), dict):
        return "swarmui"
    return "fooocus" if any(mark in data for mark in _FOOOCUS_MARKS) else None


def _from_swarmui(chunks: dict) -> dict | None:
    """SwarmUI's ``{"sui_image_params": {...}}``; its sampler ids are ComfyUI's."""
    raw = chunks.get(PARAMETERS_KEY)
    if not isinstance(raw, str) or _parameters_json_tool(raw) != "swarmui":
        return None
    data = json.loads(raw)[_SWARMUI_KEY]
    sampler, schedule = _text(data.get("sampler")), _text(data.get("scheduler"))
    names, weights = data.get("loras"), data.get("loraweights")
    loras = None
    if isinstance(names, list):
        weights = weights if isinstance(weights, list) else []
        loras = [_compact({"name": name, "weight": _as_float(weights[index]) if index < len(weights) else None})
                 for index, name in enumerate(names) if isinstance(name, str)] or None
    return _compact(
        {
            "tool": "swarmui",
            "prompt": _text(data.get("prompt")),
            "negative_prompt": _text(data.get("negativeprompt")),
            "seed": _as_int(data.get("seed")),
            "steps": _as_int(data.get("steps")),
            "guidance": _as_float(data.get("cfgscale")),
            "width": _as_int(data.get("width")),
            "height": _as_int(data.get("height")),
            "scheduler": _scheduler_for_comfyui(sampler, schedule),
            "sampler_original": sampler,
            "schedule_original": schedule,
            "model": _model(data.get("model"), None),
            "loras": loras,
            "raw": raw,
        }
    )


def _from_fooocus(chunks: dict) -> dict | None:
    """Fooocus's own JSON scheme (snake_case keys), or the labels of its older log."""
    raw = chunks.get(PARAMETERS_KEY)
    if not isinstance(raw, str) or _parameters_json_tool(raw) != "fooocus":
        return None
    data = json.loads(raw)

    def value(*names):
        return next((data[name] for name in names if name in data), None)

    sampler, schedule = _text(value("sampler", "Sampler")), _text(value("scheduler", "Scheduler"))
    resolution = _FOOOCUS_RESOLUTION.fullmatch(str(value("resolution", "Resolution") or "").strip())
    return _compact(
        {
            "tool": "fooocus",
            "prompt": _text(value("prompt", "Prompt")),
            "negative_prompt": _text(value("negative_prompt", "Negative Prompt")),
            "seed": _as_int(value("seed", "Seed")),  # a string: up to 64 bits
            "steps": _as_int(value("steps", "Steps")),
            "guidance": _as_float(value("guidance_scale", "Guidance Scale")),
            "width": int(resolution[1]) if resolution else None,
            "height": int(resolution[2]) if resolution else None,
            # Fooocus runs ComfyUI's samplers; "_gpu" only says where its noise is made.
            "scheduler": _scheduler_for_comfyui(sampler.removesuffix("_gpu") if sampler else None, schedule),
            "sampler_original": sampler,
            "schedule_original": schedule,
            "model": _model(value("base_model", "Base Model"), value("base_model_hash")),
            "loras": _fooocus_loras(data) or None,
            "raw": raw,
        }
    )


def _fooocus_loras(data: dict) -> list[dict]:
    """``loras``: [[name, weight, hash]], or the older log's ``"LoRA 1": "name : weight"``."""
    loras = []
    for item in data.get("loras") if isinstance(data.get("loras"), list) else ():
        if isinstance(item, list) and item and isinstance(item[0], str):
            weight = _as_float(item[1]) if len(item) > 1 else None
            model_hash = _text(item[2]) if len(item) > 2 else None
            loras.append(_compact({"name": item[0], "weight": weight, "hash": model_hash}))
    for key, item in data.items():
        if _FOOOCUS_LORA_LABEL.fullmatch(key) and isinstance(item, str):
            name, _, weight = item.rpartition(" : ")
            loras.append(_compact({"name": name or item, "weight": _as_float(weight) if name else None}))
    return loras


# --- ComfyUI -----------------------------------------------------------------------------


def _from_comfyui(chunks: dict) -> dict | None:
    """ComfyUI's ``prompt`` chunk (the API graph, which holds the values) and ``workflow``.

    Settings come from walking the graph from its sampler node. A workflow alone (the UI
    graph) is read as well as its known nodes allow, and kept whole, so the artist can reopen
    it in ComfyUI.
    """
    raw_prompt = chunks.get(COMFYUI_PROMPT_KEY)
    raw_workflow = chunks.get(COMFYUI_WORKFLOW_KEY)
    graph = _comfyui_graph(raw_prompt)
    has_workflow = _is_comfyui_workflow(raw_workflow)
    if graph is None:
        if not has_workflow:
            return None
        # Values from the UI graph only when there is no API graph: its widgets are placed
        # by position, which only the node types named in _COMFYUI_WIDGETS tell.
        return _compact({"tool": "comfyui", **_comfyui_settings(_comfyui_graph_of_workflow(raw_workflow)),
                         "raw": raw_workflow})
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


def _comfyui_graph_of_workflow(raw: str) -> dict:
    """The UI graph as an API graph (id -> {"class_type", "inputs"}): each link becomes
    ``[source_id, output]`` and each known node's widget values become named inputs."""
    workflow = json.loads(raw)
    links = {}
    for link in workflow.get("links") if isinstance(workflow.get("links"), list) else ():
        if isinstance(link, dict):  # the newer frontend's form of [id, source, output, ...]
            link = [link.get("id"), link.get("origin_id"), link.get("origin_slot")]
        if isinstance(link, list) and len(link) >= 3 and isinstance(link[0], int) and isinstance(link[2], int):
            links[link[0]] = [str(link[1]), link[2]]
    graph = {}
    for node in workflow["nodes"]:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            continue
        inputs = {}
        widgets = node.get("widgets_values")
        for name, widget in zip(_COMFYUI_WIDGETS.get(node["type"], ()), widgets if isinstance(widgets, list) else ()):
            if name:
                inputs[name] = widget
        for slot in node.get("inputs") if isinstance(node.get("inputs"), list) else ():
            link = links.get(slot.get("link")) if isinstance(slot, dict) and isinstance(slot.get("link"), int) else None
            if link is not None and isinstance(slot.get("name"), str):
                inputs[slot["name"]] = link
        graph[str(node.get("id"))] = {"class_type": node["type"], "inputs": inputs}
    return graph


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
    # A custom sampler's settings sit on its helper nodes; a classic one holds them itself.
    guider = _comfyui_inputs(graph, inputs.get("guider")) or inputs
    chooser = _comfyui_inputs(graph, inputs.get("sampler")) or inputs
    noise = _comfyui_inputs(graph, inputs.get("noise")) or inputs
    sigmas, schedule_node = _comfyui_sigmas(graph, inputs.get("sigmas"))
    positive = guider.get("positive", guider.get("conditioning"))
    width, height = _comfyui_size(graph, inputs.get("latent_image"))
    sampler_name = _text(_comfyui_literal(graph, chooser.get("sampler_name")))
    schedule = _text(_comfyui_literal(graph, inputs.get("scheduler", sigmas.get("scheduler")))) or schedule_node
    guidance = _comfyui_guidance(graph, positive)  # Flux's own guidance, when set, is what its model reads
    model = guider.get("model", inputs.get("model"))
    return {
        "prompt": _comfyui_text(graph, positive),
        "negative_prompt": _comfyui_text(graph, guider.get("negative")),
        "seed": _as_int(_comfyui_literal(graph, noise.get("seed", noise.get("noise_seed")))),
        "steps": _as_int(_comfyui_literal(graph, inputs.get("steps", sigmas.get("steps")))),
        "guidance": guidance if guidance is not None else _as_float(_comfyui_literal(graph, guider.get("cfg"))),
        "width": width,
        "height": height,
        "scheduler": _scheduler_for_comfyui(sampler_name, schedule),
        "sampler_original": sampler_name,
        "schedule_original": schedule,
        "model": _comfyui_model(graph, model),
        "loras": _comfyui_loras(graph, model) or None,
    }


def _comfyui_sampler(graph: dict) -> dict | None:
    """The sampler that made the image from noise.

    Only samplers whose result reaches a saved image count (a preview's, when nothing is
    saved; any, when neither is linked). Graphs with a second pass (hires fix, SDXL refiner)
    have several: the first pass is the one with no sampler before its latent, and of those
    the one fed an empty latent holds the seed and size the artist chose. Failing that, the
    first by id.
    """
    nodes = [(node_id, node) for node_id, node in sorted(graph.items(), key=_node_order)]
    samplers = [node_id for node_id, node in nodes if node["class_type"] in _COMFYUI_SAMPLER_NODES]
    for kinds in _COMFYUI_OUTPUT_NODES:
        outputs = [node for _, node in nodes if node["class_type"] in kinds]
        reached = _comfyui_upstream(graph, [link for node in outputs for link in node["inputs"].values()])
        if any(node_id in reached for node_id in samplers):
            samplers = [node_id for node_id in samplers if node_id in reached]
            break
    samplers = samplers[:_COMFYUI_MAX_SAMPLERS]
    first_passes = [node_id for node_id in samplers
                    if not set(samplers) & _comfyui_upstream(graph, [graph[node_id]["inputs"].get("latent_image")])]
    for node_id in first_passes or samplers:
        if _comfyui_size(graph, graph[node_id]["inputs"].get("latent_image")) != (None, None):
            return graph[node_id]
    return graph[(first_passes or samplers)[0]] if samplers else None


def _comfyui_upstream(graph: dict, links: list) -> set[str]:
    """The ids of every node these inputs draw on, through any number of links; each node
    is visited once, so a cycle ends."""
    seen: set[str] = set()
    waiting = list(links)
    while waiting:
        link = waiting.pop()
        if not (isinstance(link, list) and len(link) == 2 and isinstance(link[1], int)):
            continue
        node_id = str(link[0])
        if node_id in seen or node_id not in graph:
            continue
        seen.add(node_id)
        waiting.extend(graph[node_id]["inputs"].values())
    return seen


def _node_order(item) -> tuple:
    """Numeric ids in number order ("3" before "10"), then any others by name."""
    node_id = item[0]
    numeric = node_id.isascii() and node_id.isdigit() and len(node_id) <= 18  # int() refuses "²"
    return (0, int(node_id), "") if numeric else (1, 0, node_id)


def _comfyui_target(graph: dict, value) -> tuple[dict | None, int]:
    """The node an input links to (``[node_id, output_index]``) and the output used, through
    Reroute nodes (the UI graph keeps them; they only pass their one input on)."""
    for _ in range(_COMFYUI_MAX_HOPS):
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)):
            break
        node = graph.get(str(value[0]))
        if node is None:
            break
        if node["class_type"] != "Reroute":
            return node, value[1]
        value = next(iter(node["inputs"].values()), None)
    return None, 0


def _comfyui_inputs(graph: dict, link) -> dict | None:
    """The inputs of the node a link points to, or None."""
    node, _ = _comfyui_target(graph, link)
    return node["inputs"] if node is not None else None


def _comfyui_literal(graph: dict, value, hops: int = _COMFYUI_MAX_HOPS):
    """An input's value: itself, or through links to helper nodes holding a literal (a seed
    node, a text or number primitive, one fed by another)."""
    if not isinstance(value, list):
        return value if not isinstance(value, dict) else None
    node, _ = _comfyui_target(graph, value)
    if node is None or hops == 0:
        return None
    for name in _COMFYUI_LITERAL_INPUTS:
        literal = node["inputs"].get(name)
        if literal is not None:
            return _comfyui_literal(graph, literal, hops - 1)
    return None


def _comfyui_sigmas(graph: dict, link) -> tuple[dict, str | None]:
    """The scheduler node behind a custom sampler's ``sigmas`` (through nodes that split or
    flip them): its inputs, and the schedule its class stands for when it has no
    ``scheduler`` input (KarrasScheduler ...)."""
    for _ in range(_COMFYUI_MAX_HOPS):
        node, _output = _comfyui_target(graph, link)
        if node is None:
            break
        inputs = node["inputs"]
        if "steps" in inputs or "scheduler" in inputs:
            return inputs, _COMFYUI_SCHEDULER_NODES.get(node["class_type"])
        link = inputs.get("sigmas")
    return {}, None


def _comfyui_text(graph: dict, link) -> str | None:
    """The prompt text behind a conditioning link.

    Text encoders hold ``text`` (SDXL's: ``text_g`` and ``text_l``; Flux's ``t5xxl`` and
    ``clip_l``; joined by a newline when they differ). Zeroed-out conditioning is an empty
    prompt (Flux graphs' negative).
    """
    def text_of(node: dict) -> str | None:
        inputs = node["inputs"]
        if node["class_type"] == "ConditioningZeroOut":
            return ""
        if any(name in inputs for name in _COMFYUI_TEXT_PARTS):
            parts = [_text(_comfyui_literal(graph, inputs.get(name))) for name in _COMFYUI_TEXT_PARTS]
            return "\n".join(dict.fromkeys(part for part in parts if part)) or None
        return _text(_comfyui_literal(graph, inputs.get("text")))  # None goes on up: not an encoder

    return _comfyui_on_conditioning(graph, link, text_of)


def _comfyui_guidance(graph: dict, link) -> float | None:
    """The Flux guidance set on a conditioning link (FluxGuidance, CLIPTextEncodeFlux), nearest
    the sampler first; None when none is."""
    def guidance_of(node: dict) -> float | None:
        return _as_float(_comfyui_literal(graph, node["inputs"].get("guidance")))

    return _comfyui_on_conditioning(graph, link, guidance_of)


def _comfyui_on_conditioning(graph: dict, link, read, hops: int = _COMFYUI_MAX_HOPS):
    """``read(node)`` of the first node on the way up a conditioning link that gives other
    than None. Nodes that only pass conditioning on are followed a few hops; for those with
    both ``positive`` and ``negative`` (ControlNet apply), the output used picks which."""
    node, output = _comfyui_target(graph, link)
    if node is None:
        return None
    found = read(node)
    if found is not None or hops == 0:
        return found
    inputs = node["inputs"]
    if "positive" in inputs and "negative" in inputs:
        return _comfyui_on_conditioning(graph, inputs["negative" if output == 1 else "positive"], read, hops - 1)
    passed_on = next((inputs[name] for name in _COMFYUI_CONDITIONING_INPUTS if name in inputs), None)
    return _comfyui_on_conditioning(graph, passed_on, read, hops - 1)


def _comfyui_size(graph: dict, link) -> tuple[int | None, int | None]:
    """Width and height of the latent a sampler starts from (EmptyLatentImage and kin)."""
    node, _ = _comfyui_target(graph, link)
    if node is None:
        return None, None
    inputs = node["inputs"]
    width = _as_int(_comfyui_literal(graph, inputs.get("width")))
    height = _as_int(_comfyui_literal(graph, inputs.get("height")))
    return (width, height) if width is not None and height is not None else (None, None)


def _comfyui_loras(graph: dict, link) -> list[dict]:
    """The LoRAs on the way from a sampler's model input to its checkpoint, nearest the
    checkpoint first (the order they were applied in)."""
    loras = []
    for _ in range(_COMFYUI_MAX_MODEL_HOPS):
        node, _output = _comfyui_target(graph, link)
        if node is None:
            break
        inputs = node["inputs"]
        name = _text(_comfyui_literal(graph, inputs.get("lora_name")))
        if name:
            loras.append(_compact({"name": name, "weight": _as_float(_comfyui_literal(graph, inputs.get("strength_model")))}))
        link = inputs.get("model")
    return loras[::-1]


def _comfyui_model(graph: dict, link, hops: int = _COMFYUI_MAX_MODEL_HOPS) -> dict | None:
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


# Each reader with the tool it is named by in errors, most complete first: Atelier's own
# recipe, then the tools' own chunks, then the JSON some put in ``parameters``, then the
# A1111 text that many tools write besides their own.
_READERS = (
    ("Atelier", _from_atelier),
    ("InvokeAI", _from_invokeai),
    ("InvokeAI", _from_invokeai_legacy),
    ("ComfyUI", _from_comfyui),
    ("NovelAI", _from_novelai),
    ("SwarmUI", _from_swarmui),
    ("Fooocus", _from_fooocus),
    ("A1111", _from_a1111),
)


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
