"""Started fresh by bench_startup.py: open a window, and at the first idle moment after its
first frame is painted print one JSON line: the wall-clock time, and whether torch is loaded.

    python bench/startup_driver.py app|bare|types [NAME ...]

``app`` starts Atelier's window through ``atelier.ui.app.run``, the function ``atelier`` opens
it with; ``bare`` shows an empty QMainWindow of the same size: the floor any PySide6 app pays;
``types`` is ``bare`` after first touching each Qt class named on the command line (those
Atelier's window had made when it reported): what PySide6 alone spends making them, its Python
enums above all. Each report also lists the Qt classes made by then.
"""

import json
import sys
import time


def report(window, app) -> None:
    from PySide6 import QtCore, QtGui, QtWidgets
    from PySide6.QtCore import QTimer

    wall = time.time()
    # PySide6 makes a class (and its enums) on first use; a module's namespace holds those made.
    made = sorted({name for module in (QtCore, QtGui, QtWidgets) for name, value in vars(module).items()
                  if isinstance(value, type) and not name.startswith("_")})
    line = {"idle_wall": wall, "torch": "torch" in sys.modules, "visible": window.isVisible(), "qt_classes": made}
    print(json.dumps(line), flush=True)
    window.close()
    QTimer.singleShot(0, app.quit)


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "app"
    if which == "app":
        from atelier.ui.app import run

        def on_idle(window) -> None:
            from PySide6.QtWidgets import QApplication

            window.ask_unsaved = lambda doing: None  # never a modal question on the way out
            window.ask_recover = lambda crashed: False
            report(window, QApplication.instance())

        return run(on_idle=on_idle)

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([sys.argv[0]])
    if which == "types":
        from PySide6 import QtCore, QtGui, QtWidgets

        for name in sys.argv[2:]:
            next((getattr(m, name) for m in (QtCore, QtGui, QtWidgets) if hasattr(m, name)), None)
    window = QMainWindow()
    window.resize(1280, 800)
    window.show()

    class FirstFrame(QObject):  # what atelier.ui.widgets.after_first_frame does, without importing it
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Expose and watched.isExposed():
                watched.removeEventFilter(self)
                QTimer.singleShot(0, lambda: report(window, app))
            return False

    watcher = FirstFrame()
    window.windowHandle().installEventFilter(watcher)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
