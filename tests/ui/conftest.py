"""The window fixture the UI tests share: a shown window on the tiny SD1.5 model, closed after."""

import shutil

import pytest
from window_driver import close_window, open_window

from atelier import paths


@pytest.fixture
def window(qtbot, user_home, sd15_dir):
    shutil.copytree(sd15_dir, paths.models_dir() / "tiny-sd15")
    win = open_window(qtbot)
    yield win
    close_window(qtbot, win)
