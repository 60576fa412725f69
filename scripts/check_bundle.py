"""Checks on a built bundle, for CI and for whoever builds one: its size, that a CPU build
carries no CUDA/NVIDIA libraries, and (optionally) that two PNGs have identical pixels.

    python scripts/check_bundle.py dist/Atelier [--max-mb 800] [--same-pixels A.png B.png]
"""

import argparse
import re
import sys
from pathlib import Path

from PIL import Image

GPU_LIBRARY = re.compile(r"lib(cuda|cudart|cublas|cudnn|nccl|nvidia|nvrtc|cufft|curand|cusparse|cusolver|nvjitlink)")


def bundle_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    # 750 MiB until background removal brought onnxruntime's 35 MiB runtime (README, "Building
    # the app"): nothing left to trim is worth a working part of the app.
    parser.add_argument("--max-mb", type=float, default=800)
    parser.add_argument("--same-pixels", nargs=2, type=Path, metavar=("A", "B"))
    args = parser.parse_args(argv)
    failures = []

    size_mb = bundle_size(args.bundle) / 2**20
    print(f"bundle size: {size_mb:.0f} MiB (limit {args.max_mb:.0f} MiB)")
    if size_mb > args.max_mb:
        failures.append(f"{args.bundle} is {size_mb:.0f} MiB, over {args.max_mb:.0f} MiB")

    gpu = sorted(str(p.relative_to(args.bundle)) for p in args.bundle.rglob("*") if GPU_LIBRARY.search(p.name))
    print(f"CUDA/NVIDIA libraries: {len(gpu)}")
    if gpu:
        failures.append(f"a CPU bundle carries GPU libraries: {', '.join(gpu[:5])}")

    if args.same_pixels:
        a, b = (Image.open(p).convert("RGBA") for p in args.same_pixels)
        same = a.size == b.size and a.tobytes() == b.tobytes()
        print(f"pixels of {args.same_pixels[0].name} and {args.same_pixels[1].name}: {'identical' if same else 'DIFFERENT'}")
        if not same:
            failures.append("the frozen and unfrozen images differ")

    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
