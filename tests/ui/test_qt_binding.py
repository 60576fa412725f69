"""Guards against a broken or slow Qt binding: PySide6 6.12.0 on Python 3.11 loses a reference to
None on every call that returns nothing, and the interpreter aborts after a few thousand of them;
PySide6 reads the source of every module imported after it unless the app tells it not to."""

import sys

from PySide6.QtWidgets import QWidget

from atelier.ui.app import skip_pyside_source_scan


def test_void_calls_do_not_leak_references_to_none(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(2000):
        widget.setObjectName("probe")
    assert sys.getrefcount(None) - before > -100  # 6.12.0 loses exactly 2000 here


def test_pyside_stops_reading_the_source_of_every_module_the_app_imports(tmp_path, monkeypatch):
    feature = sys.modules["shibokensupport.feature"]  # PySide6's `from __feature__` support
    monkeypatch.setattr(feature, "_mod_uses_pyside", feature._mod_uses_pyside)  # put back afterwards
    monkeypatch.syspath_prepend(str(tmp_path))
    probe_source = "from PySide6.QtCore import QObject, Signal\n\nclass Probe(QObject):\n    poked = Signal(int)\n"
    for name in ("scanned_probe", "unscanned_probe"):
        (tmp_path / f"{name}.py").write_text(probe_source)
        monkeypatch.delitem(sys.modules, name, raising=False)  # removed again afterwards

    __import__("scanned_probe")  # through builtins.__import__, which PySide6 hooks
    assert feature.pyside_feature_dict["scanned_probe"] == 0  # it read the file and found "PySide6"
    skip_pyside_source_scan()
    unscanned = __import__("unscanned_probe")
    assert feature.pyside_feature_dict["unscanned_probe"] == -1  # not read: left out of feature switching

    heard = []
    probe = unscanned.Probe()
    probe.poked.connect(heard.append)
    probe.poked.emit(3)
    assert heard == [3]  # its Qt classes work as ever
