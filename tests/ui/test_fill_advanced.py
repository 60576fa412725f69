"""The fill controls in the real window on the tiny SD1.5 model: the Advanced popup of the mask
tool row (grow, feather, blend, padding, colour match, each Auto until set), Replace
background in the fill mode picker, what Generate records from them, and the prompt panel's
size fields standing aside while a painted mask is shown."""

import io

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox, QToolButton
from test_mask_painting import action, drag, picture_on_canvas
from window_driver import generate_and_wait

from atelier.core.recipe import Recipe

SPINS = {"grow": "fillGrowSpin", "feather": "fillFeatherSpin", "blend": "fillBlendSpin", "padding": "fillPaddingSpin"}


def open_advanced(qtbot, win):
    qtbot.mouseClick(win.findChild(QToolButton, "maskAdvancedButton"), Qt.MouseButton.LeftButton)
    panel = win.mask_tools.advanced_panel
    qtbot.waitUntil(panel.isVisible)
    return panel


def close_popup(qtbot, panel) -> None:
    qtbot.keyClick(panel, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not panel.isVisible())


def size_kept(win) -> bool:
    return not win.panel.size_picker.isEnabled()


def test_advanced_values_and_replace_background_reach_the_recipe(qtbot, window):
    source = picture_on_canvas(qtbot, window)
    action(window, "maskRectAction").trigger()
    drag(window, [(20, 20), (44, 44)])  # the subject to keep
    subject = window.canvas.mask_layer.document.raster.copy()
    assert subject[20:44, 20:44].all()
    window.mask_tools.generation_side = 64  # the model's native 512 takes minutes on a CPU
    assert window.mask_tools.advanced_panel is None  # made when first opened

    combo = window.findChild(QComboBox, "maskFillModeCombo")
    index = combo.findData("replace")
    assert combo.itemText(index) == "Replace background"
    assert "subject to keep" in combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert "Replace background: " in combo.toolTip()
    combo.setCurrentIndex(index)

    panel = open_advanced(qtbot, window)
    spins = {field: panel.findChild(QSpinBox, name) for field, name in SPINS.items()}
    colour = panel.findChild(QCheckBox, "fillColourMatchCheck")
    assert all(spin.text() == "Auto" and spin.toolTip() for spin in spins.values())
    assert colour.isChecked() and colour.toolTip()
    assert window.mask_tools.advanced_values() == {"grow": None, "feather": None, "blend": None, "padding": None,
                                                   "colour_match": True}
    for field, value in (("grow", 2), ("feather", 3), ("blend", 1), ("padding", 6)):
        spins[field].setValue(value)
    colour.setChecked(False)
    close_popup(qtbot, panel)
    assert open_advanced(qtbot, window) is panel and spins["padding"].value() == 6  # kept, popup closed or not
    close_popup(qtbot, panel)

    generate_and_wait(qtbot, window, count=2)
    [made] = [output for _entry, output in window.project.outputs() if output.id != source.id]
    request = Recipe.from_dict(made.recipe).request
    assert (request.fill_mode, request.grow, request.feather, request.blend, request.padding,
            request.colour_match) == ("replace", 2, 3, 1, 6, False)

    read = window.project_controller.read_asset

    def pixels(asset: str) -> np.ndarray:
        with Image.open(io.BytesIO(read(asset))) as image:
            return np.asarray(image.convert("RGB"))

    before, after = pixels(source.asset), pixels(made.asset)
    kept = subject == 255
    assert np.array_equal(after[kept], before[kept])  # the subject, bit for bit
    assert (after[:8] != before[:8]).any(axis=-1).mean() > 0.9  # the background, repainted


def test_the_size_fields_stand_aside_while_a_painted_mask_is_shown(qtbot, window):
    picture_on_canvas(qtbot, window)
    size = window.panel.size_picker
    assert size.isEnabled() and not size.toolTip()
    size.set_size(512, 768)  # the artist's choice, shown again once the mask is out of the way
    action(window, "maskRectAction").trigger()
    assert size.isEnabled()  # a mask tool alone paints nothing yet
    drag(window, [(10, 10), (30, 30)])
    qtbot.waitUntil(lambda: size_kept(window))
    assert size.toolTip() == "Generative fill keeps the picture's size (64×64)"
    assert (size.width_spin.value(), size.height_spin.value()) == (64, 64)  # the picture's, greyed out
    assert window.panel.common_values()["width"] == 512  # what the form holds is unchanged

    show = action(window, "maskShowAction")
    show.trigger()  # hidden: Generate makes whole pictures again
    qtbot.waitUntil(lambda: not size_kept(window))
    assert not size.toolTip()
    assert (size.width_spin.value(), size.height_spin.value()) == (512, 768)
    show.trigger()
    qtbot.waitUntil(lambda: size_kept(window))

    window.undo_stack.undo()  # the rectangle undone: nothing painted
    qtbot.waitUntil(lambda: not size_kept(window))
    window.undo_stack.redo()
    qtbot.waitUntil(lambda: size_kept(window))
    action(window, "maskClearAction").trigger()
    qtbot.waitUntil(lambda: not size_kept(window))
