"""An output's settings as a person reads them, from its stored recipe dict: plain dict reading,
without the recipe and request types (the window's history needs it before they are imported)."""

from .limits import MAX_SEED

# Settings a person reads about any output, whatever recorded it: a recipe of either schema,
# or what an import recovered from another tool (flat keys, as schema 1).
SETTING_KEYS = ("prompt", "negative_prompt", "seed", "steps", "guidance", "width", "height", "scheduler",
                "strength", "seconds", "lyrics")


def settings_of(recipe: dict | None) -> dict:
    """The flat settings (prompt, seed, steps, size, ...) an output's stored recipe holds; only
    the keys it has. Never raises: a damaged recipe gives what can be read of it."""
    if not isinstance(recipe, dict):
        return {}
    request = recipe.get("request")
    source = request if isinstance(request, dict) else recipe
    found = {key: source[key] for key in SETTING_KEYS if key in source}
    task = source.get("task") if isinstance(request, dict) else recipe.get("task")
    if isinstance(task, str):
        found["task"] = task
    return found


def is_long_seed(seed) -> bool:
    """Whether ``seed`` is one another tool drew past Atelier's 32-bit seeds but within 64 bits
    (Fooocus, ComfyUI): kept as written, to read, though our generator cannot take it."""
    return isinstance(seed, int) and not isinstance(seed, bool) and MAX_SEED < seed < 2**64
