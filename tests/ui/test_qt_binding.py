"""Guards against a broken Qt binding: PySide6 6.12.0 on Python 3.11 loses a reference to None
on every call that returns nothing, and the interpreter aborts after a few thousand of them."""

import sys

from PySide6.QtWidgets import QWidget


def test_void_calls_do_not_leak_references_to_none(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(2000):
        widget.setObjectName("probe")
    assert sys.getrefcount(None) - before > -100  # 6.12.0 loses exactly 2000 here
