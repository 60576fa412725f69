"""What the library says about one listed model, in words: its type and family as artists name
them, what it can be used with, and whether it is ready to use offline. Qt-free; ``check`` reads
the disk and runs off the UI thread, the rest reads only what the scan found."""

from ...core.families import AUDIO_TASKS, family_label
from ...engine.readiness import READY, check, one_line, readiness  # noqa: F401  (what the library shows)

TYPE_LABELS = {
    "image": "Checkpoint", "audio": "Sound model", "upscaler": "Upscaler", "matting": "Background removal",
    "lora": "LoRA", "controlnet": "ControlNet", "ip-adapter": "IP-Adapter", "image-encoder": "Image encoder",
    "vae": "VAE", "embedding": "Embedding", "depth": "Depth model", "pose": "Pose model",
    "unknown": "Unknown",
}
# What a part does with the checkpoint it is used with.
_PART_USES = {
    "lora": "LoRA for {family} checkpoints: a style or character, weighted in the prompt panel or "
            "with <lora:name:0.8>",
    "controlnet": "ControlNet for {family} checkpoints: guides a generation with a sketch, edges or a pose",
    "ip-adapter": "IP-Adapter for {family} checkpoints: a reference image as a prompt, with an image encoder",
    "vae": "VAE for {family} checkpoints: replaces the checkpoint's own decoder",
    "embedding": "Embedding for {family} checkpoints: write its name in the prompt",
}
_SOUND_TASKS = {"text-to-audio": "sound from a prompt", "music": "music", "song": "songs with lyrics"}


def type_label(kind: str) -> str:
    return TYPE_LABELS.get(kind, kind)


def used_with(info) -> str:
    """One sentence: what the model is for in Atelier (e.g. "LoRA for SD 1.5 checkpoints: ...")."""
    if info.format == "pickle":
        return "Nothing until it is converted to .safetensors (Convert to safetensors...)"
    if info.kind in _PART_USES:
        family = "any" if info.family == "unknown" else family_label(info.family)
        text = _PART_USES[info.kind].format(family=family)
        return text + (" (its file does not say which family; a wrong one is refused when used)"
                       if info.family == "unknown" else "")
    if info.kind == "image-encoder":
        return "Image encoder for IP-Adapters: needed beside one to use a reference image"
    if info.kind == "depth":
        return "Depth maps of a picture for depth ControlNets (Guidance: made from the picture)"
    if info.kind == "pose":
        return "Pose maps of a picture of one person for OpenPose ControlNets (Guidance: made from the picture)"
    if info.kind == "image":
        if info.family.endswith("-inpaint"):
            return f"Generative fill with its own inpainting model ({family_label(info.family)})"
        return f"Text to image, image to image and generative fill ({family_label(info.family)})"
    if info.kind == "audio":
        task = AUDIO_TASKS.get(info.family)
        return f"Sound: {_SOUND_TASKS.get(task, task)}" if task else "Sound (no task in Atelier runs this family yet)"
    if info.kind == "upscaler":
        return "Image > Upscale: enlarges a picture"
    if info.kind == "matting":
        return "Image > Remove Background"
    return "Nothing Atelier knows of"


def search_text(info, hashes=None) -> str:
    """Everything a search matches, lower-cased: name, id, type, family, path and known hashes
    (a FileHashes, or a folder's fingerprint string)."""
    words = [info.name, info.id, info.kind, type_label(info.kind), info.family, family_label(info.family),
             str(info.path), info.note]
    if isinstance(hashes, str):
        words.append(hashes)
    elif hashes is not None:
        words += [hashes.sha256, hashes.lora_sha256 or ""]
    return "\n".join(words).lower()
