"""Laying one writer's changes over a project file that another writer saved meanwhile.

Two processes may hold one project (the window for hours, a CLI run for a minute). When one
saves, the file may hold requests the other added since this one read it. A three-way merge
against the file as this writer last saw it (the base) keeps both: each request (entry) and
each output is taken from whichever side changed it. Only where both changed the same field of
the same request or output, differently, is there a conflict, and then nothing is guessed.

Works on plain dicts (``to_dict()``), so equality is exact and nothing here touches the disk.
"""

from dataclasses import dataclass

from .errors import ProjectError


class MergeConflict(ProjectError):
    """Both writers changed the same thing differently."""


_GONE = object()  # absent on one side
_CONFLICT = object()  # changed differently on both sides


@dataclass
class Merged:
    project: dict  # the project's own fields, without entries
    entries: list[dict]  # in order: the newer file's, then this writer's new ones


def merge_projects(base: dict, ours: dict, theirs: dict) -> Merged:
    """``base``: the project as this writer last read or saved it; ``ours``: as it is now in
    this writer; ``theirs``: as the file holds it now. Each is a ``Project.to_dict()``."""
    base_entries = _by_id(base.get("entries", []))
    our_entries = _by_id(ours.get("entries", []))
    their_entries = _by_id(theirs.get("entries", []))
    entries = []
    for entry_id in _union_in_order(their_entries, our_entries):
        merged = _merge_entry(base_entries.get(entry_id, _GONE), our_entries.get(entry_id, _GONE),
                              their_entries.get(entry_id, _GONE))
        if merged is not _GONE:
            entries.append(merged)
    project = {}
    for key in _union_in_order(*(_fields(side) for side in (theirs, ours))):
        # The project's own fields (times, unknown keys) hold no work: ours wins a disagreement.
        value = _three_way(base.get(key, _GONE), ours.get(key, _GONE), theirs.get(key, _GONE), prefer_ours=True)
        if value is not _GONE:
            project[key] = value
    return Merged(project, entries)


def _merge_entry(base, ours, theirs):
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    if ours is _GONE or theirs is _GONE:
        raise MergeConflict(f"a request ({_describe(ours if theirs is _GONE else theirs)}) was changed here and removed there")
    base = {} if base is _GONE else base
    merged = {}
    for key in _union_in_order(theirs, ours):
        if key == "outputs":
            continue
        value = _three_way(base.get(key, _GONE), ours.get(key, _GONE), theirs.get(key, _GONE))
        if value is _CONFLICT:
            raise MergeConflict(f"the request {_describe(ours)} has a different {key} on each side")
        if value is not _GONE:
            merged[key] = value
    merged["outputs"] = _merge_outputs(base.get("outputs", []), ours.get("outputs", []), theirs.get("outputs", []),
                                       _describe(ours))
    return merged


def _merge_outputs(base: list, ours: list, theirs: list, request: str) -> list:
    base_outputs, our_outputs, their_outputs = _by_id(base), _by_id(ours), _by_id(theirs)
    merged = []
    for output_id in _union_in_order(their_outputs, our_outputs):
        value = _three_way(base_outputs.get(output_id, _GONE), our_outputs.get(output_id, _GONE),
                           their_outputs.get(output_id, _GONE))
        if value is _CONFLICT:
            raise MergeConflict(f"an output of the request {request} was changed differently on each side")
        if value is not _GONE:
            merged.append(value)
    return merged


def _three_way(base, ours, theirs, prefer_ours: bool = False):
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    return ours if prefer_ours else _CONFLICT


def _by_id(items: list) -> dict:
    return {item["id"]: item for item in items if isinstance(item, dict) and "id" in item}


def _fields(project: dict) -> dict:
    return {key: value for key, value in project.items() if key != "entries"}


def _union_in_order(first: dict, second: dict) -> list:
    return list(first) + [key for key in second if key not in first]


def _describe(entry: dict) -> str:
    prompt = str(entry.get("prompt") or "").strip()
    return repr(prompt[:40] + ("…" if len(prompt) > 40 else "")) if prompt else "without a prompt"
