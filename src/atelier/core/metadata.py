"""PNG metadata: the recipe travels inside every image we save.

Two text chunks go into each PNG:

* ``parameters``: the text AUTOMATIC1111 writes, so other tools (A1111's PNG Info, ComfyUI,
  Civitai, sd-parsers, image browsers) show the prompt and settings of our images.
* ``atelier``: the full recipe as JSON, so Atelier itself can remake the image exactly. The
  A1111 text is lossy (no scheduler config, no device or versions), hence the second chunk.

Pure Pillow (imported where used: the window imports this module, and Pillow costs it about
25 ms at start); no Qt, no torch.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

from .. import __version__
from .atomic import atomic_writer
from .lora_tags import with_lora_tags
from .recipe import Recipe
from .schedulers import scheduler_spec

log = logging.getLogger(__name__)

PARAMETERS_KEY = "parameters"
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286
ATELIER_KEY = "atelier"
METADATA_SCHEMA = 1


def a1111_parameters(recipe: Recipe) -> str:
    """The ``parameters`` text exactly as A1111 lays it out, so A1111-aware tools can read it.

    Layout: the prompt, a ``Negative prompt:`` line when there is one, then one line of
    ``Key: value`` pairs in A1111's order. Settings the recipe does not have are left out.
    """
    request = recipe.request
    loras = [adapter for adapter in recipe.adapters if adapter.kind == "lora"]
    scheduler = getattr(request, "scheduler", None)
    spec = scheduler_spec(scheduler) if scheduler else None
    width, height = getattr(request, "width", None), getattr(request, "height", None)
    pairs = {
        "Steps": getattr(request, "steps", None),
        # "Default" keeps the model's own scheduler: name the class that actually ran.
        "Sampler": spec and (spec.a1111_sampler or recipe.runtime.scheduler_class or spec.name),
        "Schedule type": spec and spec.a1111_schedule or None,
        "CFG scale": _number(getattr(request, "guidance", None)),
        "Seed": recipe.seed,
        "Size": f"{width}x{height}" if width and height else None,
        "Model hash": recipe.model.fingerprint[:10] or None,
        "Model": recipe.model.name or None,
        "Denoising strength": _number(getattr(request, "strength", None)),
        # A1111's inpainting "Mask blur" is the softening of the mask's edge: the feather.
        "Mask blur": getattr(request, "feather", None),
        "Lora hashes": _lora_hashes(loras),
        "Version": f"Atelier {__version__}",
    }
    settings = ", ".join(f"{k}: {_quote(v)}" for k, v in pairs.items() if v is not None)
    # A1111 reads which LoRAs an image used from the prompt's tags: add those the prompt lacks.
    lines = [with_lora_tags(getattr(request, "prompt", ""), [(lora.name, lora.weight) for lora in loras])]
    if getattr(request, "negative_prompt", ""):
        lines.append(f"Negative prompt: {request.negative_prompt}")
    lines.append(settings)
    return "\n".join(lines)


def png_info(recipe: Recipe) -> PngInfo:
    """Both text chunks, ready for ``Image.save(..., pnginfo=...)``.

    ``add_text`` stores Latin-1 text as tEXt and anything else (Japanese, emoji) as UTF-8
    iTXt, so non-Latin prompts survive; A1111 and sd-parsers read either kind.
    """
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(PARAMETERS_KEY, a1111_parameters(recipe))
    payload = {"atelier_metadata": METADATA_SCHEMA, "recipe": recipe.to_dict()}
    info.add_text(ATELIER_KEY, json.dumps(payload, ensure_ascii=False))
    return info


def save_png(image: Image.Image, path, recipe: Recipe) -> None:
    """Save ``image`` as a PNG carrying ``recipe``; atomic, so a crash never leaves half a file."""
    with atomic_writer(Path(path)) as fh:
        image.save(fh, format="PNG", pnginfo=png_info(recipe))


def png_bytes(image: Image.Image, recipe: Recipe) -> bytes:
    """The same PNG as ``save_png`` writes, in memory (for content-addressed project assets)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=png_info(recipe))
    return buffer.getvalue()


def read_recipe(path_or_image) -> Recipe | None:
    """The recipe stored in an image by ``save_png``, or None.

    None when the image has no ``atelier`` chunk (not ours, or stripped by another tool) or
    when the chunk cannot be understood: a damaged chunk should cost the artist the recipe,
    not crash the gallery. Errors opening the file itself (missing, not an image) propagate.
    """
    from PIL import Image

    if isinstance(path_or_image, Image.Image):
        raw = _text_chunks(path_or_image).get(ATELIER_KEY)
    else:
        with Image.open(path_or_image) as image:
            raw = _text_chunks(image).get(ATELIER_KEY)
    if raw is None:
        return None
    try:
        return recipe_from_text(raw)
    except RecursionError:  # JSON nested past what json parses: damaged, or made to hurt
        log.warning("ignoring unreadable %r metadata chunk: nested too deeply", ATELIER_KEY)
        return None


def recipe_from_text(raw: str) -> Recipe | None:
    """The recipe in the text of an ``atelier`` chunk, or None when it cannot be understood.
    JSON nested too deeply for Python to parse raises RecursionError, for the caller to judge."""
    try:
        return Recipe.from_dict(json.loads(raw)["recipe"])
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        log.warning("ignoring unreadable %r metadata chunk: %s", ATELIER_KEY, error)
        return None


def _text_chunks(image: Image.Image) -> dict:
    """PNG text chunks; ``.text`` also finds chunks written after the pixel data."""
    text = getattr(image, "text", None)
    return text if text is not None else image.info


def _lora_hashes(loras) -> str | None:
    """A1111's ``Lora hashes`` value, "name: hash, name: hash", each name without the colons
    and commas that would break the list (as A1111 writes it); None when none has a hash."""
    pairs = [f"{lora.name.replace(':', '').replace(',', '')}: {lora.short_hash}" for lora in loras if lora.short_hash]
    return ", ".join(pairs) or None


def _number(value):
    """A1111 prints whole numbers without a decimal point: 7, not 7.0; 7.5 stays 7.5."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _quote(value) -> str:
    """A1111's rule: a value with a comma, colon or newline is JSON-quoted, so it parses back."""
    text = str(value)
    if any(c in text for c in ",:\n"):
        return json.dumps(text, ensure_ascii=False)
    return text


def convert_image(png: bytes, suffix: str) -> bytes:
    """An image in the format its file name asks for. PNG stays byte for byte (chunks kept);
    JPEG and WebP carry the A1111 text in EXIF UserComment, where A1111 itself puts it."""
    kind = suffix.lower().lstrip(".")
    if kind == "png":
        return png
    if kind not in ("jpg", "jpeg", "webp"):
        raise ValueError(f"cannot save as .{kind}; use .png, .jpg or .webp")
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        text = image.text.get(PARAMETERS_KEY) if hasattr(image, "text") else None
        exif = Image.Exif()
        if text:
            # UserComment lives in the Exif sub-IFD; "UNICODE\0" then UCS-2 big-endian text.
            exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = b"UNICODE\0" + text.encode("utf-16-be")
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG" if kind in ("jpg", "jpeg") else "WEBP", quality=95,
                                  exif=exif.tobytes())
    return out.getvalue()
