"""Regenerate docs/queue.png: the queue dock with a job in every state it can show at once (done,
failed, cancelled, running, queued, and a queued reproduction), in the dark and the light theme
side by side, and the same queue in a 220 px wide dock.

Run under Xvfb. The jobs are the fake task's (solid colours at a set pace): the point is the queue.
"""

import sys

from screenshot import ROOT, open_window_on_tiny_model, run

PROMPTS = {
    "done": "a lighthouse on a cliff at dusk, oil painting, warm light",
    "failed": "a red fox in fresh snow, morning mist",
    "cancelled": "still life with pears and a copper jug",
    "running": "portrait of an old sailor, charcoal on toned paper",
    "queued": "a quiet harbour at night, lanterns on the water",
}


def main() -> int:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication

    from atelier.core.jobs import JobState
    from atelier.core.tasks import FakeRequest
    from atelier.ui.queue import QueueView
    from atelier.ui.theme import dark_palette

    app, window = open_window_on_tiny_model()
    jobs = {}

    def queue(name: str, **values) -> None:
        request = FakeRequest(**{"prompt": PROMPTS[name], "steps": 4, "step_seconds": 0.05, "width": 64,
                                 "height": 64, "seed": 7, **values})
        window.generation.queue(request, window.panel.current_model())
        jobs[name] = window.generation.jobs.jobs[-1]

    def start():
        if not window.panel.model_combo.isEnabled():
            QTimer.singleShot(100, start)
            return
        # The queue large, the gallery small: this picture is about the queue.
        window.resizeDocks([window.history_dock, window.queue_dock], [150, 650], Qt.Orientation.Vertical)
        window.resizeDocks([window.queue_dock], [440], Qt.Orientation.Horizontal)
        queue("done")
        queue("failed", fail_at_step=3)
        queue("cancelled")
        window.generation.cancel_job(jobs["cancelled"].id)
        queue("running", steps=30, step_seconds=0.25, batch_size=3)
        queue("queued", batch_size=2)
        QTimer.singleShot(100, reproduce_when_stored)

    def reproduce_when_stored():
        entry = next((e for e in window.project.entries if e.prompt == PROMPTS["done"] and e.outputs), None)
        if entry is None:
            QTimer.singleShot(100, reproduce_when_stored)
            return
        window.generation.reproduce(entry.outputs[0].id)
        QTimer.singleShot(100, shoot_when_in_second_image)

    def shoot_when_in_second_image():
        running = jobs["running"]
        if running.state is not JobState.RUNNING or running.step < 38:
            QTimer.singleShot(100, shoot_when_in_second_image)
            return
        window.queue.select(jobs["failed"])  # a selected row, and the Retry button enabled
        dark = window.queue_dock.grab().toImage()
        app.setPalette(app.style().standardPalette())
        QApplication.processEvents()
        light = window.queue_dock.grab().toImage()
        app.setPalette(dark_palette())
        ratio = dark.devicePixelRatio()
        narrow = QueueView(window.generation.queue_model)
        narrow.resize(220, int(dark.height() / ratio))
        narrow.show()
        QApplication.processEvents()
        narrow = narrow.grab().toImage()
        shots = [dark, light, narrow]
        picture = QImage(sum(shot.width() for shot in shots) + 2 * 8, max(shot.height() for shot in shots),
                         QImage.Format.Format_RGB32)
        picture.fill(Qt.GlobalColor.black)
        picture.setDevicePixelRatio(ratio)
        painter = QPainter(picture)
        left = 0
        for shot in shots:
            painter.drawImage(left, 0, shot)
            left += int(shot.width() / ratio) + 8
        painter.end()
        out = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "docs" / "queue.png")
        picture.save(out)
        print(f"wrote {out}")
        window.generation.cancel_all()
        window.close()
        app.quit()

    return run(app, window, start)


if __name__ == "__main__":
    sys.exit(main())
