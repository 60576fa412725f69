"""Build the shared benchmark models into $ATELIER_BENCH_MODELS: ``tiny`` (two tiny SD1.5-layout
pipelines, different seeds, and a tiny SD1.5 inpainting checkpoint), ``mid`` (the real SD1.5
UNet config, random weights) and ``audio`` (a Stable Audio pipeline with a larger DiT, random
weights).

    python bench/build_models.py tiny [mid] [audio]
"""

import sys
import time

import common


def main() -> None:
    common.ensure_isolated()
    wanted = set(sys.argv[1:]) or {"tiny"}
    t0 = time.perf_counter()
    if "tiny" in wanted:
        common.tiny_model(common.TINY, seed=0)
        common.tiny_model(common.TINY_B, seed=1)
        common.tiny_model(common.TINY_INPAINT, inpaint=True)
    if "mid" in wanted:
        common.mid_model()
    if "audio" in wanted:
        common.audio_model()
    common.log(f"models built in {time.perf_counter() - t0:.0f} s under {common.models_root()}")


if __name__ == "__main__":
    main()
