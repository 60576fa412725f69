"""A1111's LoRA syntax in prompts: ``<lora:name:0.8>`` applies the LoRA called ``name`` with
weight 0.8 (1 when left out). The tags are taken out of the text the model reads, and kept in
the prompt as written, so the prompt means the same in Atelier and in A1111."""

import re

from .errors import RequestError

# <lora:name>, <lora:name:0.8>, and A1111's <lora:name:0.8:te=...> (extra fields are ignored).
_TAG = re.compile(r"<lora:([^:<>]+?)(?::([^:<>]*))?(?::[^<>]*)?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")
_LOOSE_COMMAS = re.compile(r"\s*,(\s*,)+")


def lora_tags(text: str) -> list[tuple[str, float]]:
    """(name, weight) of each tag in ``text``, in order. RequestError for a weight that is not
    a number, naming the tag."""
    found = []
    for match in _TAG.finditer(text):
        name, weight = match.group(1).strip(), (match.group(2) or "").strip()
        try:
            found.append((name, float(weight) if weight else 1.0))
        except ValueError:
            raise RequestError(f"{match.group(0)}: the weight must be a number, as in <lora:{name}:0.8>") from None
    return found


def without_lora_tags(text: str) -> str:
    """``text`` as the model reads it: the tags taken out, the gaps and commas they leave tidied."""
    if "<" not in text:
        return text
    stripped = _TAG.sub("", text)
    stripped = _LOOSE_COMMAS.sub(",", _SPACES.sub(" ", stripped))
    return stripped.strip(" ,\t")


def with_lora_tags(text: str, loras: list[tuple[str, float]]) -> str:
    """``text`` with a tag added for each (name, weight) it does not tag yet (A1111's form of a
    prompt whose LoRAs were chosen in a picker)."""
    tagged = {name.lower() for name, _ in lora_tags(text)}
    extra = [f"<lora:{name}:{weight:g}>" for name, weight in loras if name.lower() not in tagged]
    return ", ".join(part for part in (text.strip(), " ".join(extra)) if part) if extra else text


def lora_named(name: str, listed) -> str | None:
    """The id of the listed LoRA that ``name`` (a tag's) names, or None. ``listed`` holds (id,
    name, family) of the listed LoRAs; an id match wins over a file-name match, case aside."""
    wanted = name.strip().lower()
    listed = list(listed)
    return next((part_id for part_id, _name, _family in listed if part_id.lower() == wanted), None) or \
        next((part_id for part_id, part_name, _family in listed if part_name.lower() == wanted), None)


def loras_for(prompt: str, chosen, listed, how_to_add: str = "Edit > Add a Models Folder...") -> tuple:
    """The LoRAs a request uses: ``chosen`` ((id, weight) pairs or LoraUse, from a picker) and
    those the prompt's ``<lora:name:weight>`` tags name, one LoraUse per LoRA in that order; a tag's
    weight wins over the picker's for the same LoRA. ``listed`` holds (id, name, family) of the
    listed LoRAs. RequestError for a tag naming none of them, saying ``how_to_add`` a folder."""
    from .tasks.adapters import LoraUse  # the request types: not needed to read tags

    uses = {}
    for item in chosen:
        model, weight = (item.model, item.weight) if isinstance(item, LoraUse) else item
        uses[model] = LoraUse(model, weight)
    listed = list(listed)
    for name, weight in lora_tags(prompt):
        model = lora_named(name, listed)
        if model is None:
            raise RequestError(f"<lora:{name}>: no LoRA named {name} among your models; add its folder "
                               f"({how_to_add}) or fix the name")
        uses[model] = LoraUse(model, weight)
    return tuple(uses.values())
