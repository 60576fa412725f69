"""What the UI tests share: a shown window on the tiny SD1.5 model, closed after; and the
application's palette as it was before each test (a window applying its theme sets it)."""

import shutil

import pytest
from PySide6.QtGui import QPalette
from window_driver import close_window, open_window

from atelier import paths


@pytest.fixture(autouse=True)
def restore_palette(qapp):
    palette = QPalette(qapp.palette())
    yield
    qapp.setPalette(palette)


@pytest.fixture
def window(qtbot, user_home, sd15_dir):
    shutil.copytree(sd15_dir, paths.models_dir() / "tiny-sd15")
    win = open_window(qtbot)
    yield win
    close_window(qtbot, win)
