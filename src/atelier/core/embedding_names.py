"""Which textual-inversion embeddings a prompt uses: as in A1111, an embedding is used by writing
its name (its file's name without the suffix) in the prompt or the negative prompt.

The window and the CLI hand the engine, as extra models of kind "embedding", the listed
embeddings of the model's family that the prompts name (``embeddings_for``); the engine loads
those. Requests do not list them: the prompt is what names them, in Atelier as in A1111."""

import re

from .families import part_fits
from .lora_tags import without_lora_tags


def embeddings_named(texts, names) -> list[str]:
    """The ``names`` (in their order, each once) written as a whole word in any of ``texts``,
    case-sensitively; a LoRA tag (``<lora:name:0.8>``) names a LoRA, not an embedding."""
    prompts = [without_lora_tags(text) for text in texts if text]
    found = []
    for name in dict.fromkeys(names):
        # A whole word: no letter, digit or underscore right before or after the name.
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
        if name and any(pattern.search(text) for text in prompts):
            found.append(name)
    return found


def embeddings_for(texts, listed, family: str) -> dict:
    """Of ``listed`` (the model listing's entries: ``id``, ``name``, ``kind``, ``family``), the
    embeddings that fit a model of ``family`` and that ``texts`` name, by id: what to hand the
    engine as extra models besides those the request names."""
    fitting = [info for info in listed if info.kind == "embedding" and part_fits(info.family, family)]
    named = set(embeddings_named(texts, [info.name for info in fitting]))
    return {info.id: info for info in fitting if info.name in named}
