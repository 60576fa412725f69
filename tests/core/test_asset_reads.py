"""Reading assets from other threads (the history's thumbnail threads) while the session's own
thread saves: a save moves working copies into the file and may replace the file it reads from."""

import hashlib
import io
import threading

from PIL import Image

from atelier.core.session import ProjectSession


def png(n: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (n % 256, n // 256 % 256, 7)).save(buffer, "PNG")
    return buffer.getvalue()


def test_reads_on_other_threads_never_fail_or_differ_while_saves_move_and_replace_assets(user_home):
    session = ProjectSession.create()
    entry = session.add_entry("race")
    expected: dict[str, str] = {}  # asset name -> sha256 of its bytes; readers pick from it
    names: list[str] = []

    def add(n: int) -> None:
        data = png(n)
        output = session.add_output(entry, "image", data, "png")
        expected[output.asset] = hashlib.sha256(data).hexdigest()
        names.append(output.asset)  # appended last: a reader never picks a name before its bytes exist

    for n in range(8):
        add(n)
    problems: list[str] = []
    reads = [0]
    saving = threading.Event()
    saving.set()

    def reader(offset: int) -> None:
        i = offset
        while saving.is_set() or i < offset + 200:
            name = names[i % len(names)]
            i += 1
            try:
                data = session.read_asset(name)
            except Exception as exc:  # noqa: BLE001 - any error at all is the failure
                problems.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            if hashlib.sha256(data).hexdigest() != expected[name]:
                problems.append(f"{name}: wrong bytes")
            reads[0] += 1

    readers = [threading.Thread(target=reader, args=(k * 3,)) for k in range(4)]
    for thread in readers:
        thread.start()
    try:
        # Each round: new working copies, an appending save (copies removed once the file has
        # them), then a save to another file (a full write; the old file is closed under readers).
        targets = [user_home / "a.atelier", user_home / "b.atelier"]
        for round_ in range(40):
            add(100 + 2 * round_)
            add(101 + 2 * round_)
            session.save(targets[round_ % 2])
            add(1000 + round_)
            session.save()
    finally:
        saving.clear()
        for thread in readers:
            thread.join()
    session.close()
    assert problems == []
    assert reads[0] >= 800
