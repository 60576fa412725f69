"""Two-writers test writer: ``python concurrent_writer.py PROJECT TAG ROUNDS``.

Opens (or creates) the project and, each round: a new request with one or two small PNGs of
noise unique to TAG; every third round a favourite mark on one of its own earlier outputs, and
every fifth round the removal of one; then a save. After each save returns it prints, flushing:

    saved <asset>       each of its outputs the file now holds (reported once)
    favourite <asset>   an output it marked
    removed <asset>     an output it took out again

Core only (no torch, no Qt) so it starts fast. tests/core/test_two_writers.py runs two at once.
"""

import io
import random
import sys
from pathlib import Path

from PIL import Image

from atelier.core.session import ProjectSession


def noise_png(rng: random.Random) -> bytes:
    width, height = rng.randint(8, 48), rng.randint(8, 48)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def main() -> None:
    path, tag, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rng = random.Random(tag)
    session = ProjectSession.open_or_create(path)
    mine, reported = [], []
    for number in range(rounds):
        entry = session.add_entry(prompt=f"{tag} round {number}")
        for _ in range(rng.randint(1, 2)):
            mine.append(session.add_output(entry, "image", noise_png(rng), "png", recipe={"seed": number}))
        notes = []
        if number % 3 == 2:
            marked = rng.choice(mine)
            session.update_output(marked, favourite=True)
            notes.append(f"favourite {marked.asset}")
        if number % 5 == 4:
            removed = mine.pop(rng.randrange(len(mine) - 1))  # not the newest: it may be unsaved
            session.remove_output(removed.id)
            notes.append(f"removed {removed.asset}")
        session.save()
        for output in mine:
            if output.asset not in reported:
                reported.append(output.asset)
                notes.insert(0, f"saved {output.asset}")
        sys.stdout.write("".join(line + "\n" for line in notes))
        sys.stdout.flush()
    session.close()


if __name__ == "__main__":
    main()
