"""Kill-test writer: ``python kill_writer.py PROJECT_PATH [SEED [MAX_SAVES]]``.

Opens (or creates) the project and then, forever: every few outputs a new entry; one to three
outputs, each a small valid PNG of random noise (now and then a big one, so saves take longer
and kills land inside writes); then a save. Prints, flushing each line:

    folder <working folder>     once the session is open
    added <N>                   after add_output returned (N = outputs in the project)
    saved <N>                   after save returned (N = outputs in the saved file)

With MAX_SAVES, after that many saves it goes on adding outputs without saving (slowly), so a
kill leaves unsaved work behind for the recovery test.

Core only (no torch, no Qt) so it starts fast. tests/core/test_kill.py SIGKILLs it.
"""

import io
import os
import random
import sys
import time
from pathlib import Path

from PIL import Image

from atelier.core.session import ProjectSession


def noise_png(rng: random.Random) -> bytes:
    if rng.random() < 0.12:
        width = height = 256  # ~200 KB of incompressible pixels
    else:
        width, height = rng.randint(8, 64), rng.randint(8, 64)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    path = Path(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else int.from_bytes(os.urandom(4), "little")
    max_saves = int(sys.argv[3]) if len(sys.argv) > 3 else None
    rng = random.Random(seed)
    saves = 0
    session = ProjectSession.open_or_create(path)
    say(f"folder {session.folder}")
    total = sum(1 for _ in session.project.outputs())
    entry = None
    while True:
        if entry is None or len(entry.outputs) >= rng.randint(2, 5):
            entry = session.add_entry(prompt=f"kill test {seed} #{total}", parameters={"seed": rng.getrandbits(32)})
        for _ in range(rng.randint(1, 3)):
            session.add_output(entry, "image", noise_png(rng), "png", recipe={"seed": rng.getrandbits(32)})
            total += 1
            say(f"added {total}")
        if max_saves is not None and saves >= max_saves:
            time.sleep(0.01)
            continue
        session.save()
        saves += 1
        say(f"saved {total}")


if __name__ == "__main__":
    main()
