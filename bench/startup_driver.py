"""Started fresh by bench_startup.py: open a window, and at the first idle moment of the event
loop after ``show()`` print one JSON line: the wall-clock time, and whether torch is loaded.

    python bench/startup_driver.py app|bare|types [NAME ...]

``app`` builds Atelier's MainWindow the way ``atelier`` does (settings, theme, window, show);
``bare`` shows an empty QMainWindow of the same size: the floor any PySide6 app pays;
``types`` is ``bare`` after first touching each Qt class named on the command line (those
Atelier's window imports): what PySide6 alone spends making them, its Python enums above all.
"""

import json
import sys
import time


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "app"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([sys.argv[0]])
    if which == "app":
        from atelier.settings import Settings
        from atelier.ui.main_window import MainWindow
        from atelier.ui.theme import apply_theme

        app.setApplicationName("Atelier")
        settings = Settings.load()
        apply_theme(app, settings.theme)
        window = MainWindow(settings)
        window.ask_unsaved = lambda doing: None  # never a modal question on the way out
        window.ask_recover = lambda crashed: False
    else:
        if which == "types":
            from PySide6 import QtCore, QtGui, QtWidgets

            for name in sys.argv[2:]:
                next((getattr(m, name) for m in (QtCore, QtGui, QtWidgets) if hasattr(m, name)), None)
        window = QMainWindow()
        window.resize(1280, 800)
    window.show()

    def report():
        line = {"idle_wall": time.time(), "torch": "torch" in sys.modules, "visible": window.isVisible()}
        print(json.dumps(line), flush=True)
        window.close()
        QTimer.singleShot(0, app.quit)

    # Two zero timers: the first runs once the loop has handled what show() posted.
    QTimer.singleShot(0, lambda: QTimer.singleShot(0, report))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
