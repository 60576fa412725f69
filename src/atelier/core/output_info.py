"""What a person reads about one output: its prompts, the settings that made it as labelled rows
in reading order, the inputs it started from, where an imported image came from, and what
"use all" restores. Works from whatever recorded the output: an Atelier recipe, what an import
recovered from another tool's metadata, or nothing at all. Pure Python; the info pane shows it.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .durations import sound_length
from .errors import AtelierError
from .project import Entry, Output
from .recipe import ModelRef, Recipe, settings_of
from .recipe_settings import is_long_seed
from .tasks import TextToImageRequest, request_class

# Settings shown first, in this order, under these names; every other setting a request has
# follows under its own name (a task's own fields need no change here).
_LEADING = ("scheduler", "steps", "guidance", "seed", "size")
_LABELS = {
    "scheduler": "Sampler", "guidance": "Guidance", "seconds": "Length", "bpm": "Tempo",
    "time_signature": "Beats per bar", "top_k": "Top k",
}
# Not rows: the prompts have their own place, inputs are shown as pictures, the batch is the
# request's, not the output's, and size is one row.
_NOT_ROWS = {"task", "prompt", "negative_prompt", "batch_size", "width", "height",
             "loras", "controls", "references", "vae"}  # adapters: one row each, from the recipe's record
_ADAPTER_LABELS = {"lora": "LoRA", "controlnet": "ControlNet", "ip-adapter": "Reference", "vae": "VAE",
                   "embedding": "Embedding", "depth": "Depth model", "pose": "Pose model"}
_WEIGHTED = {"lora", "controlnet", "ip-adapter"}
# Fields whose text is long enough to be read as a block rather than a row.
_BLOCKS = {"lyrics"}
_TASKS = {
    "text-to-image": "Text to image", "image-to-image": "Image to image", "text-to-audio": "Sound",
    "audio-to-audio": "Sound from a sound", "music": "Music", "song": "Song", "fake": "Test pattern",
}
_INPUTS = {"init_image": "Init image", "init_audio": "Sound it started from", "melody": "Melody"}
_KINDS = {"image": "Image", "audio": "Sound"}
TOOL_NAMES = {"a1111": "AUTOMATIC1111", "comfyui": "ComfyUI", "invokeai": "InvokeAI", "atelier": "Atelier",
              "novelai": "NovelAI", "fooocus": "Fooocus", "swarmui": "SwarmUI"}


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    block: bool = False  # long text: shown under its label, wrapped


@dataclass(frozen=True)
class InputRef:
    label: str  # "Init image", "Melody", ...
    asset: str  # the project asset it names


@dataclass(frozen=True)
class OutputInfo:
    kind: str  # "image" or "audio"
    title: str  # what it is: "Text to image", "Song", ... (the task), or "Image" or "Sound"
    prompt: str
    negative_prompt: str
    rows: tuple[Row, ...]
    inputs: tuple[InputRef, ...]
    origin: str  # where it came from when not generated here (an import, the clipboard, an edit)
    settings: dict  # what "use all" restores: recipe-style settings, the task included
    model_id: str | None  # the model that made it, when Atelier made it
    model_name: str
    seed: int | None
    parameters: str | None  # the A1111 "parameters" text, when there is enough to write one
    model_hash: str = ""  # as the metadata wrote it (A1111's 10 hex digits, or a whole sha256)


def describe(entry: Entry, output: Output) -> OutputInfo:
    recipe = output.recipe if isinstance(output.recipe, dict) else None
    request = recipe.get("request") if recipe else None
    # A recipe's request holds every field of its task; what an import recovered is flat.
    settings = dict(request) if isinstance(request, dict) else settings_of(recipe)
    settings.pop("batch_size", None)
    task = settings.get("task") if isinstance(settings.get("task"), str) else None
    model = _model(recipe, entry)
    inputs = tuple(InputRef(_INPUTS.get(role, role.replace("_", " ").capitalize()), asset)
                   for role, asset in _inputs(task, settings).items())
    seed = settings.get("seed")
    return OutputInfo(
        kind=output.kind,
        title=_TASKS.get(task) or (task or "").replace("-", " ").capitalize() or _KINDS.get(output.kind, output.kind),
        prompt=_text(settings.get("prompt", entry.prompt)),
        negative_prompt=_text(settings.get("negative_prompt", entry.negative_prompt)),
        rows=tuple(_rows(task, settings, recipe, model, output)),
        inputs=inputs,
        origin=_origin(entry, output, recipe),
        settings=settings,
        model_id=model.get("id") or None,
        model_name=model.get("name", ""),
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        parameters=parameters_text(recipe) if output.kind == "image" else None,  # A1111's text is for images
        model_hash=_text(model.get("hash")) or "",
    )


def seed_reuse_problem(seed, recipe: dict | None) -> str | None:
    """The line saying why an output's seed cannot go into the prompt panel as it is (another
    tool's seed past our 32 bits), without what happens instead; None when it can."""
    if not is_long_seed(seed):
        return None
    tool = TOOL_NAMES.get(recipe.get("tool")) if isinstance(recipe, dict) else None
    return f"Seed {seed}{f' (from {tool})' if tool else ''} is beyond Atelier's 32-bit seeds and cannot be reused as is"


def parameters_text(recipe: dict | None) -> str | None:
    """The A1111 ``parameters`` text for an output's stored recipe (metadata.a1111_parameters):
    from an Atelier recipe, or from what an import recovered (its own A1111 text verbatim)."""
    from .metadata import a1111_parameters

    if not isinstance(recipe, dict):
        return None
    if recipe.get("tool") == "a1111" and isinstance(recipe.get("raw"), str):
        return recipe["raw"]
    try:
        if isinstance(recipe.get("request"), dict):
            made = Recipe.from_dict(recipe)
            return a1111_parameters(made) if made.request.known else None
        settings = {k: v for k, v in settings_of(recipe).items() if k != "task"}
        model = recipe.get("model") if isinstance(recipe.get("model"), dict) else {}
        ref = ModelRef(id="", name=_text(model.get("name")), family="", pipeline="", fingerprint=_text(model.get("hash")))
        fields = {name for name in TextToImageRequest.__dataclass_fields__}
        long_seed = settings.get("seed") if is_long_seed(settings.get("seed")) else None
        if long_seed is not None:
            settings["seed"] = 0  # a stand-in: no request takes it, but A1111 reuses 64-bit seeds
        text = a1111_parameters(Recipe(TextToImageRequest(**{k: v for k, v in settings.items() if k in fields}), ref))
        if long_seed is not None:  # the text says the seed as written
            prompts, _, pairs = text.rpartition("\n")
            text = f"{prompts}\n{pairs.replace('Seed: 0,', f'Seed: {long_seed},', 1)}"
        return text
    except (AtelierError, TypeError, ValueError, KeyError):
        return None


def _rows(task, settings: dict, recipe, model: dict, output: Output):
    if model.get("name") or model.get("hash"):
        yield Row("Model", " · ".join(part for part in (model.get("name"), model.get("hash", "")[:10]) if part))
    values = dict(settings)
    if isinstance(values.get("width"), int) and isinstance(values.get("height"), int):
        values["size"] = f"{values['width']} × {values['height']}"
    if "scheduler" not in values and recipe and recipe.get("sampler_original"):
        # Another tool's sampler that Atelier has no equal of: its own words.
        values["scheduler"] = " ".join(_text(recipe.get(k)) for k in ("sampler_original", "schedule_original")).strip()
    inputs = _inputs(task, values)
    ordered = [key for key in _LEADING if key in values]
    ordered += [key for key in values if key not in _LEADING and key not in _NOT_ROWS and key not in inputs
                and key not in _INPUTS]
    for key in ordered:
        text = _value(key, values[key])
        if text:
            yield Row(_LABELS.get(key, key.replace("_", " ").capitalize()), text, key in _BLOCKS or "\n" in text)
    yield from _adapter_rows(recipe)
    created = _when(output.created)
    if created:
        yield Row("Made" if recipe and "request" in recipe else "Added", created)


def _adapter_rows(recipe):
    """A row for each LoRA, ControlNet, ... the output was made with, as its recipe records it."""
    adapters = (recipe or {}).get("adapters")
    for adapter in adapters if isinstance(adapters, list) else ():
        if not isinstance(adapter, dict) or adapter.get("kind") not in _ADAPTER_LABELS:
            continue
        weight = adapter.get("weight")
        shown = f" · {weight:g}" if adapter["kind"] in _WEIGHTED and isinstance(weight, (int, float)) else ""
        yield Row(_ADAPTER_LABELS[adapter["kind"]], f"{_text(adapter.get('name'))}{shown}")


def _inputs(task, settings: dict) -> dict[str, str]:
    """Role -> asset, for the inputs the task reads (any recorded one, for a task unknown here)."""
    cls = request_class(task) if task else None
    roles = cls.INPUTS if cls is not None else tuple(_INPUTS)
    return {role: settings[role] for role in roles if isinstance(settings.get(role), str) and settings[role]}


def _model(recipe: dict | None, entry: Entry) -> dict:
    """id, name and hash of the model, from the recipe (Atelier's or an import's) or the entry."""
    found = (recipe or {}).get("model") or entry.model or {}
    if not isinstance(found, dict):
        return {}
    return {"id": _text(found.get("id")), "name": _text(found.get("name")),
            "hash": _text(found.get("fingerprint") or found.get("hash"))}


def _origin(entry: Entry, output: Output, recipe: dict | None) -> str:
    imported = entry.extra.get("imported_from")
    if isinstance(imported, str) and imported:
        name = Path(imported).name
        tool = TOOL_NAMES.get((recipe or {}).get("tool"))
        said = f"Imported from {name}; its settings were read from {tool} metadata" if tool else \
            f"Imported from {name}; it carries no settings Atelier can read"
        notes = entry.extra.get("import_notes")
        if isinstance(notes, list) and notes:
            said += f", but {'; '.join(str(note) for note in notes)}"
        return said + "."
    if entry.parameters.get("source") == "clipboard":
        return "Pasted from the clipboard."
    if output.source and recipe is None:
        return "Made by editing another output."
    return ""


def _value(key: str, value) -> str:
    if value is None or value == "":
        return "Auto" if key in ("bpm", "key", "time_signature") else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "seconds" and isinstance(value, (int, float)):
        return sound_length(float(value))
    if key == "bpm" and isinstance(value, int):
        return f"{value} BPM"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list, tuple)):
        return ""  # structure (another tool's graph) is nothing to read in a row
    return str(value)


def _when(created: str) -> str:
    try:
        return datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return ""


def _text(value) -> str:
    return value if isinstance(value, str) else ""
