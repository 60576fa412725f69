"""What Atelier knows of each model family without loading it: one table, read by the engine,
the model library, the pickers and the size presets."""

from dataclasses import dataclass

# The parts (models/kinds.py types) that can be applied to a family's checkpoints.
_SD_PARTS = frozenset({"lora", "controlnet", "ip-adapter", "vae", "embedding"})


@dataclass(frozen=True)
class Family:
    id: str
    label: str  # the name artists know it by
    # The side it was trained at: a size that follows an init image is capped by it, since
    # larger images repeat subjects and the artist did not ask for them.
    native_side: int | None
    inpaints: bool = False  # diffusers turns its pipeline into an inpainting one (from_pipe)
    parts: frozenset = frozenset()  # what can be applied to its checkpoints
    sizes: tuple = ()  # (width, height) it was trained around, the default first: the size presets
    checkpoint_pipeline: str = ""  # what diffusers' from_single_file builds from one of its files
    latents: str = ""  # whose latent-to-RGB fit makes its cheap previews ("sd", "sdxl"; "": none)


_SD15_SIZES = ((512, 512), (512, 768), (768, 512), (640, 448), (448, 640))
_SD2_SIZES = ((768, 768), (768, 1024), (1024, 768), (512, 512))
_SDXL_SIZES = ((1024, 1024), (832, 1216), (1216, 832), (896, 1152), (1152, 896), (768, 1344), (1344, 768))
_MMDIT_SIZES = ((1024, 1024), (832, 1216), (1216, 832), (768, 1344), (1344, 768))
_SD = "StableDiffusionPipeline"
_SD_INPAINT = "StableDiffusionInpaintPipeline"

FAMILIES = {family.id: family for family in (
    Family("sd15", "SD 1.5", 512, inpaints=True, parts=_SD_PARTS, sizes=_SD15_SIZES, checkpoint_pipeline=_SD,
           latents="sd"),
    Family("sd2", "SD 2.x", 768, inpaints=True, parts=_SD_PARTS - {"ip-adapter"}, sizes=_SD2_SIZES,
           checkpoint_pipeline=_SD, latents="sd"),
    Family("sdxl", "SDXL", 1024, inpaints=True, parts=_SD_PARTS, sizes=_SDXL_SIZES,
           checkpoint_pipeline="StableDiffusionXLPipeline", latents="sdxl"),
    Family("sd3", "SD3", 1024, inpaints=True, parts=frozenset({"lora"}), sizes=_MMDIT_SIZES,
           checkpoint_pipeline="StableDiffusion3Pipeline"),
    Family("flux", "Flux", 1024, inpaints=True, parts=frozenset({"lora"}), sizes=_MMDIT_SIZES,
           checkpoint_pipeline="FluxPipeline"),
    Family("pixart", "PixArt", 1024, sizes=_MMDIT_SIZES[:3]),
    Family("sd15-inpaint", "SD 1.5 inpainting", 512, parts=_SD_PARTS, sizes=_SD15_SIZES,
           checkpoint_pipeline=_SD_INPAINT, latents="sd"),
    Family("sd2-inpaint", "SD 2.x inpainting", 768, parts=_SD_PARTS - {"ip-adapter"}, sizes=_SD2_SIZES,
           checkpoint_pipeline=_SD_INPAINT, latents="sd"),
    Family("sdxl-inpaint", "SDXL inpainting", 1024, parts=_SD_PARTS, sizes=_SDXL_SIZES,
           checkpoint_pipeline="StableDiffusionXLInpaintPipeline", latents="sdxl"),
    Family("sdxl-refiner", "SDXL refiner", 1024, sizes=_SDXL_SIZES,
           checkpoint_pipeline="StableDiffusionXLImg2ImgPipeline", latents="sdxl"),
    Family("sd3-inpaint", "SD3 inpainting", 1024, sizes=_MMDIT_SIZES),
    Family("flux-inpaint", "Flux Fill", 1024, sizes=_MMDIT_SIZES),
    Family("stable-audio", "Stable Audio", None),
    Family("musicgen", "MusicGen", None),
    Family("musicgen-melody", "MusicGen Melody", None),
    Family("ace-step", "ACE-Step", None),
)}

NATIVE_SIDE = {family.id: family.native_side for family in FAMILIES.values()
               if family.native_side is not None and "-" not in family.id}

# The families whose pipelines diffusers turns into an inpainting one, by the names artists
# know them by: what a refusal to inpaint with another model lists.
INPAINT_FAMILIES = {family.id: family.label.replace(" ", "").removesuffix(".x")
                    for family in FAMILIES.values() if family.inpaints}


def family_label(family: str) -> str:
    """"SD 1.5" for "sd15"; the id itself ("unknown", ...) for a family this table does not know."""
    found = FAMILIES.get(family)
    return found.label if found is not None else family

# Dedicated inpainting checkpoints whose UNet also reads the mask and the masked picture (9 input
# channels): diffusers' inpainting pipelines run them as they are.
INPAINT_CHECKPOINT_FAMILIES = frozenset({"sd15-inpaint", "sd2-inpaint", "sdxl-inpaint"})
INPAINT_CHECKPOINTS = "SD1.5/SD2/SDXL inpainting checkpoints"  # how a refusal names them


# Which task each audio model family runs (image families run text to image, or image to image).
AUDIO_TASKS = {
    "stable-audio": "text-to-audio",
    "musicgen": "music",
    "musicgen-melody": "music",
    "ace-step": "song",
}


def native_side(family: str) -> int | None:
    return NATIVE_SIDE.get(family.removesuffix("-inpaint"))


def base_family(family: str) -> str:
    """The family a model's parts are made for: an inpainting checkpoint takes its base's LoRAs,
    ControlNets and VAEs."""
    return family.removesuffix("-inpaint")


def part_fits(part_family: str, model_family: str) -> bool:
    """Whether a part (LoRA, ControlNet, VAE, ...) of ``part_family`` may be used with a model of
    ``model_family``; a part whose family its file does not say is let through (the engine's
    load then says what does not fit)."""
    return part_family == "unknown" or base_family(part_family) == base_family(model_family)


def takes(family: str, part_kind: str) -> bool:
    """Whether Atelier applies parts of ``part_kind`` ("lora", "controlnet", ...) to a model of
    ``family``."""
    found = FAMILIES.get(family)
    return found is not None and part_kind in found.parts
