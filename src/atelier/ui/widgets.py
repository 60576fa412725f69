"""Small helpers shared by the panels."""

from PySide6.QtWidgets import QSpinBox, QWidget


def named(widget: QWidget, object_name: str, accessible_name: str) -> QWidget:
    """Give a control the stable objectName tests use and the name screen readers announce."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    return widget


def spin_box(object_name: str, accessible_name: str, low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    spin = named(QSpinBox(), object_name, accessible_name)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setValue(value)
    return spin
