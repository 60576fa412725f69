"""Which reader gets each tool's prompt, negative prompt and seed right: Atelier's own
(core/interop.py) or sd-parsers, on the same files, written as each tool writes them
(tests/tool_images.py). Run: .venv/bin/python scripts/compare_metadata_readers.py"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import tool_images  # noqa: E402
from atelier.core.interop import read_generation_info  # noqa: E402


def ours(path: Path) -> tuple:
    info = read_generation_info(path) or {}
    return info.get("prompt"), info.get("negative_prompt"), info.get("seed")


def sd_parsers(path: Path) -> tuple:
    from sd_parsers import ParserManager
    from sd_parsers.extractors import Eagerness

    try:
        info = ParserManager(eagerness=Eagerness.EAGER).parse(str(path))
    except Exception as error:  # a reader's failure is a result here
        return (f"raised {type(error).__name__}",) * 3
    if info is None:
        return None, None, None
    prompts = " ".join(prompt.value for prompt in info.prompts) or None
    negatives = " ".join(prompt.value for prompt in info.negative_prompts) or None
    seeds = [sampler.parameters.get("seed") for sampler in info.samplers]
    seed = next((seed for seed in seeds if seed is not None), None)
    return prompts, negatives, int(seed) if isinstance(seed, (int, str)) and str(seed).isdigit() else seed


def marks(found: tuple, expected: tuple) -> str:
    return " ".join("✓" if got == want else "✗" for got, want in zip(found, expected))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        samples = tool_images.write_samples(Path(folder))
        print(f"{'format':<28} {'Atelier':<8} {'sd-parsers':<10}   (prompt negative seed)")
        for name, (path, expected) in samples.items():
            print(f"{name:<28} {marks(ours(path), expected):<8} {marks(sd_parsers(path), expected):<10}")


if __name__ == "__main__":
    main()
