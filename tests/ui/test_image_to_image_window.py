"""Image-to-image and variations in the window, on the tiny SD1.5 model: an init image from the
history, the canvas or a file; the strength slider; variations linked to their source."""

import io

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from window_driver import choose, fill, generate_and_wait

from atelier.core.recipe import Recipe


def outputs(win):
    return [output for _entry, output in win.project.outputs()]


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def wait_for_init_image(qtbot, win):
    qtbot.waitUntil(lambda: win.panel.init_image_box.current is not None, timeout=10_000)
    return win.panel.init_image_box.current


def test_use_as_init_image_from_the_history_then_strength_0_gives_it_back(qtbot, window):
    fill(qtbot, window, size=(64, 48), seed=3)
    generate_and_wait(qtbot, window)
    [source] = outputs(window)
    box = window.panel.init_image_box
    assert not box.details.isVisible() and box.choose_button.isVisible()

    choose(window, "use_as_init_image", source.id)
    init = wait_for_init_image(qtbot, window)
    assert init.asset == source.asset and (init.width, init.height) == (64, 48)
    assert box.details.isVisible() and not box.choose_button.isVisible()
    assert box.strength_slider.isVisible() and not box.thumbnail.pixmap().isNull()
    assert (window.panel.width_spin.value(), window.panel.height_spin.value()) == (64, 48)  # follows it

    box.set_strength(0.0)
    generate_and_wait(qtbot, window, count=2)
    made = outputs(window)[-1]
    recipe = Recipe.from_dict(made.recipe)
    assert recipe.task == "image-to-image" and recipe.inputs == {"init_image": source.asset}
    read = window.project_controller.read_asset
    assert np.array_equal(pixels(read(made.asset)), pixels(read(source.asset)))

    qtbot.mouseClick(box.clear_button, Qt.MouseButton.LeftButton)
    assert box.current is None and window.panel.request().task == "text-to-image"


def test_variations_make_new_outputs_linked_to_their_source(qtbot, window):
    fill(qtbot, window, prompt="a harbour at dawn", seed=11)
    generate_and_wait(qtbot, window)
    [source] = outputs(window)
    window.panel.batch_spin.setValue(2)
    window.panel.prompt_edit.setPlainText("something else")  # variations keep their source's prompt

    choose(window, "variations_subtle", source.id)
    qtbot.waitUntil(lambda: len(outputs(window)) == 3 and window.running_job is None, timeout=60_000)
    variations = outputs(window)[1:]
    assert all(v.source == source.id for v in variations)
    recipes = [Recipe.from_dict(v.recipe) for v in variations]
    assert {r.request.strength for r in recipes} == {0.5} and {r.request.prompt for r in recipes} == {"a harbour at dawn"}
    assert len({r.seed for r in recipes}) == 2 and recipes[1].seed == recipes[0].seed + 1
    assert all(r.inputs == {"init_image": source.asset} for r in recipes)
    entry = next(e for e in window.project.entries if e.outputs and e.outputs[0].id == variations[0].id)
    assert entry.parameters["task"] == "image-to-image" and entry.parameters["init_image"] == source.asset


def test_the_canvas_offers_the_image_actions_for_the_image_it_shows(qtbot, window):
    fill(qtbot, window, seed=4)
    generate_and_wait(qtbot, window)
    names = [a.objectName() for a in window.canvas.actions() if not a.isSeparator()]
    assert names[:3] == ["useAsInitImageAction", "variationsSubtleAction", "variationsStrongAction"]
    use = window.canvas.findChild(QAction, "useAsInitImageAction") or next(
        a for a in window.canvas.actions() if a.objectName() == "useAsInitImageAction")
    assert use.isEnabled()
    use.trigger()
    assert wait_for_init_image(qtbot, window).asset == outputs(window)[0].asset


def test_a_picture_file_is_converted_and_stored_in_the_project_first(qtbot, window, tmp_path):
    picture = tmp_path / "sketch.png"
    rgba = np.zeros((40, 100, 4), np.uint8)  # fully transparent: filled with white
    Image.fromarray(rgba, "RGBA").save(picture)
    window.project_controller.prepare_init_image(window.panel.set_init_image, path=picture)
    init = wait_for_init_image(qtbot, window)
    assert "sketch.png" in window.panel.init_image_box.name_label.text()
    stored = window.project_controller.read_asset(init.asset)  # in the project before any job
    assert (pixels(stored) == 255).all() and (init.width, init.height) == (100, 40)
    assert (window.panel.width_spin.value(), window.panel.height_spin.value()) == (104, 40)


def test_a_broken_picture_file_is_one_line_and_changes_nothing(qtbot, window, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    window.project_controller.prepare_init_image(window.panel.set_init_image, path=broken)
    qtbot.waitUntil(lambda: "broken.png" in window.panel.message_label.text(), timeout=10_000)
    assert "\n" not in window.panel.message_label.text() and window.panel.init_image_box.current is None


def test_a_new_project_clears_the_init_image_it_held(qtbot, window, tmp_path):
    picture = tmp_path / "start.png"
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8), "RGB").save(picture)
    window.project_controller.prepare_init_image(window.panel.set_init_image, path=picture)
    wait_for_init_image(qtbot, window)
    window.new_project()
    qtbot.waitUntil(lambda: window.panel.init_image_box.current is None, timeout=10_000)
    assert window.panel.request().task == "text-to-image"
