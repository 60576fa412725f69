"""The background-removal models Atelier knows, by family: how each wants its picture (input
side, normalisation) and what its output is (a probability, or logits that need a sigmoid).
Torch-free and onnxruntime-free, so the model list can name a file's family without loading it.

Facts from GUIDE section 8 (as rembg's sessions prepare these models). A family is told by the
file's name, the way rembg names them; the engine then checks the graph agrees (its input side)
and refuses a graph that does not, rather than guess.
"""

from dataclasses import dataclass
from pathlib import Path

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class MattingFamily:
    name: str
    label: str
    side: int  # the square input side the model was trained at
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    sigmoid: bool  # the output is logits
    prefixes: tuple[str, ...]  # lower-case file-name starts that mark it


FAMILIES = (
    # Longest prefixes first: "u2netp" must not be taken for "u2net".
    MattingFamily("u2netp", "U²-Net (small)", 320, IMAGENET_MEAN, IMAGENET_STD, False, ("u2netp",)),
    MattingFamily("u2net", "U²-Net", 320, IMAGENET_MEAN, IMAGENET_STD, False,
                  ("u2net_human_seg", "u2net_cloth_seg", "u2net", "silueta")),
    MattingFamily("isnet", "ISNet", 1024, (0.5, 0.5, 0.5), (1.0, 1.0, 1.0), False, ("isnet",)),
    MattingFamily("birefnet", "BiRefNet", 1024, IMAGENET_MEAN, IMAGENET_STD, True, ("birefnet",)),
)
BY_NAME = {family.name: family for family in FAMILIES}


def family_of(path: Path) -> str:
    """The family a matting model file belongs to, from its name; "unknown" when none fits."""
    stem = Path(path).stem.lower().replace("-", "_")
    for family in FAMILIES:
        if any(stem.startswith(prefix.replace("-", "_")) for prefix in family.prefixes):
            return family.name
    return "unknown"


def known_families() -> str:
    return ", ".join(family.label for family in FAMILIES)
