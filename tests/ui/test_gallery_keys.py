"""The history follows the artist and answers its keys: on the real window, with the fake task
(solid colours, one per seed) so each test takes seconds."""

import io

from PIL import Image
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor
from window_driver import close_window, open_window

from atelier.core.project import Entry, Output, Project
from atelier.core.recipe import settings_of
from atelier.core.tasks import FakeRequest
from atelier.engine.tasks.fake import colour
from atelier.ui.history import ID_ROLE, HistoryView


def make(qtbot, window, count=1, seed=1, prompt="fake"):
    """Queue one fake request of ``count`` images and wait until they are stored and shown."""
    before = stored(window)
    request = FakeRequest(prompt=prompt, steps=1, step_seconds=0.0, width=16, height=16, seed=seed,
                          batch_size=count)
    window.generation.queue(request, window.panel.current_model())
    qtbot.waitUntil(lambda: stored(window) == before + count and window.running_job is None
                    and window.project_controller.current_output_id == newest(window).id, timeout=30_000)
    return window.project.entries[-1]


def stored(window) -> int:
    return sum(len(e.outputs) for e in window.project.entries)


def newest(window):
    return window.project.entries[-1].outputs[-1] if window.project.entries else None


def seed(output) -> int:
    return settings_of(output.recipe)["seed"]


def canvas_colour(window) -> QColor:
    image = window.canvas.current_image()
    return image.pixelColor(image.width() // 2, image.height() // 2)


def shows_seed(window, seed_value: int) -> bool:
    return window.canvas.current_image() is not None and canvas_colour(window) == QColor(*colour(seed_value))


def select(qtbot, window, output_id: str) -> None:
    """Click a tile, as the artist would, and give the grid the keyboard focus."""
    history = window.history
    history.list_view.scrollTo(history.index_of(output_id))
    qtbot.waitUntil(lambda: history.list_view.visualRect(history.index_of(output_id)).isValid())
    rect = history.list_view.visualRect(history.index_of(output_id))
    qtbot.mouseClick(history.list_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    history.list_view.setFocus()
    qtbot.waitUntil(lambda: window.project_controller.current_output_id == output_id)


def in_view(window, row: int) -> bool:
    view = window.history.list_view
    return view.viewport().rect().contains(view.visualRect(view.model().index(row, 0)))


def scrolling_history(qtbot, window, first_seed: int):
    """Six requests of three images, more than the history shows at once: its scroll bar."""
    for number in range(6):
        make(qtbot, window, count=3, seed=first_seed + 10 * number, prompt=f"request {number}")
    bar = window.history.list_view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    return bar


def test_a_new_result_is_selected_and_scrolled_into_view_with_its_header(qtbot, window):
    history = window.history
    bar = scrolling_history(qtbot, window, 100)
    bar.setValue(bar.maximum())  # the artist looks at the oldest ones, at the bottom
    assert not in_view(window, 0)

    entry = make(qtbot, window, count=2, seed=7, prompt="the newest")
    latest = entry.outputs[-1]
    assert history.current_output_id() == latest.id
    assert history.list_view.selectionModel().isSelected(history.index_of(latest.id))
    qtbot.waitUntil(lambda: in_view(window, window.history.model.row_of(latest.id)))
    assert in_view(window, history.model.header_row(entry.id))  # its group's header shows too
    assert shows_seed(window, seed(latest))


def test_a_batch_shows_in_seed_order(qtbot, window):
    entry = make(qtbot, window, count=4, seed=40)
    group = dict(window.history.groups())[entry.id]
    found = [window.project_controller.find(output_id)[1] for output_id in group]
    assert [seed(output) for output in found] == [40, 41, 42, 43]
    assert [output.recipe["batch_index"] for output in found] == [0, 1, 2, 3]


def test_delete_key_deletes_with_an_undo_notice_and_both_undos_bring_it_back(qtbot, window):
    entry = make(qtbot, window, count=3, seed=20)
    target, after = entry.outputs[1], entry.outputs[2]
    select(qtbot, window, target.id)
    notice = window.history.notice

    qtbot.keyClick(window.history.list_view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.project_controller.find(target.id) is None, timeout=5_000)
    assert notice.isVisible() and notice.label.text() == "Image deleted"
    # The next one takes its place, in the grid and on the canvas.
    assert window.history.current_output_id() == after.id
    qtbot.waitUntil(lambda: shows_seed(window, seed(after)), timeout=5_000)

    qtbot.mouseClick(notice.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.project_controller.find(target.id) is not None, timeout=5_000)
    assert not notice.isVisible()
    assert window.history.groups()[0] == (entry.id, [o.id for o in entry.outputs])
    assert window.history.current_output_id() == target.id
    qtbot.waitUntil(lambda: shows_seed(window, seed(target)), timeout=5_000)

    # The same delete, undone with Ctrl+Z: the notice goes with it.
    window.history.list_view.setFocus()
    qtbot.keyClick(window.history.list_view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.project_controller.find(target.id) is None, timeout=5_000)
    assert notice.isVisible()
    qtbot.keyClick(window.history.list_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.project_controller.find(target.id) is not None, timeout=5_000)
    assert not notice.isVisible()


def test_f_favourites_and_digits_rate_the_selected_output(qtbot, window):
    entry = make(qtbot, window, count=2, seed=30)
    target = entry.outputs[0]
    select(qtbot, window, target.id)
    grid = window.history.list_view

    qtbot.keyClick(grid, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: target.favourite, timeout=5_000)
    qtbot.keyClick(grid, Qt.Key.Key_4)
    qtbot.waitUntil(lambda: target.rating == 4, timeout=5_000)
    qtbot.keyClick(grid, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not target.favourite, timeout=5_000)
    qtbot.keyClick(grid, Qt.Key.Key_0)
    qtbot.waitUntil(lambda: target.rating == 0, timeout=5_000)
    assert not entry.outputs[1].favourite and entry.outputs[1].rating == 0  # only the selected one
    assert window.undo_stack.count() == 4  # each key is one undoable step


def test_arrow_keys_browse_and_the_canvas_shows_each(qtbot, window):
    entry = make(qtbot, window, count=3, seed=50)
    first, second, third = entry.outputs
    select(qtbot, window, first.id)
    qtbot.waitUntil(lambda: shows_seed(window, seed(first)), timeout=5_000)
    grid = window.history.list_view

    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert window.project_controller.current_output_id == second.id
    qtbot.waitUntil(lambda: shows_seed(window, seed(second)), timeout=5_000)
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: shows_seed(window, seed(third)), timeout=5_000)
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    assert window.project_controller.current_output_id == second.id
    qtbot.waitUntil(lambda: shows_seed(window, seed(second)), timeout=5_000)


def test_space_held_shows_the_previous_image_and_says_which(qtbot, window):
    entry = make(qtbot, window, count=2, seed=60)
    first, second = entry.outputs
    select(qtbot, window, second.id)
    qtbot.waitUntil(lambda: shows_seed(window, seed(second)), timeout=5_000)
    grid, canvas = window.history.list_view, window.canvas

    qtbot.keyPress(grid, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: shows_seed(window, seed(first)), timeout=5_000)
    assert canvas.compare_label.isVisible()
    assert canvas.comparing.startswith(f"Previous image \u00b7 seed {seed(first)}")
    assert window.project_controller.current_output_id == second.id  # only a look: still the selected one

    qtbot.keyRelease(grid, Qt.Key.Key_Space)
    assert shows_seed(window, seed(second)) and not canvas.compare_label.isVisible()
    assert canvas.comparing is None


def test_deleting_keeps_the_scroll_position(qtbot, window):
    history = window.history
    bar = scrolling_history(qtbot, window, 200)
    bar.setValue(bar.maximum() // 2)
    viewport = history.list_view.viewport().rect()
    # A tile wholly in view, with tiles after it.
    shown = history.shown_output_ids()
    target = next(i for i in shown[:-1] if viewport.contains(history.list_view.visualRect(history.index_of(i))))
    following = shown[shown.index(target) + 1]
    select(qtbot, window, target)
    before = bar.value()

    qtbot.keyClick(history.list_view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.project_controller.find(target) is None, timeout=5_000)
    qtbot.wait(50)  # the grid lays itself out again at the next turn of the event loop
    assert bar.value() == before
    assert history.current_output_id() == following


def test_the_size_slider_resizes_tiles_and_is_remembered(qtbot, window):
    entry = make(qtbot, window, count=2, seed=70)
    history = window.history
    index = history.index_of(entry.outputs[0].id)
    slider = history.findChild(type(history.size_slider), "thumbnailSizeSlider")
    assert slider is history.size_slider and slider.isVisible()
    small = history.list_view.visualRect(index).size()

    slider.setValue(200)
    qtbot.waitUntil(lambda: history.list_view.visualRect(index).width() > small.width())
    assert history.list_view.visualRect(index).size() == QRect(0, 0, 212, 212).size()  # 200 and padding
    slider.setValue(96)
    qtbot.waitUntil(lambda: history.list_view.visualRect(index).width() == 108)
    assert window.settings.thumbnail_size == 96

    close_window(qtbot, window)
    again = open_window(qtbot)
    try:
        assert again.history.thumbnail_size() == 96 and again.history.size_slider.value() == 96
    finally:
        close_window(qtbot, again)


def test_keys_leave_the_grid_alone_without_a_selection(qtbot, window):
    make(qtbot, window, count=1, seed=80)
    history = window.history
    history.list_view.selectionModel().clear()
    history.list_view.setFocus()  # Qt makes the first tile current, but does not select it
    qtbot.keyClick(history.list_view, Qt.Key.Key_Delete)
    qtbot.keyClick(history.list_view, Qt.Key.Key_3)
    qtbot.wait(100)
    assert stored(window) == 1 and newest(window).rating == 0 and window.undo_stack.count() == 0
    assert history.model.index(1, 0).data(ID_ROLE) == newest(window).id


def test_tiles_grown_past_their_thumbnails_get_sharper_ones(qtbot):
    """A thumbnail is decoded for the box it shows in: growing the tiles decodes it again,
    bigger; shrinking them keeps the one there is."""
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (200, 90, 40)).save(buffer, "PNG")
    entry = Entry(prompt="big")
    output = Output(kind="image", asset="assets/big.png", recipe={"prompt": "big", "seed": 1})
    entry.outputs.append(output)
    view = HistoryView()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    view.set_project(Project(entries=[entry]), lambda _name: buffer.getvalue())

    def decoded_width() -> int:
        pixmap = view.thumbnails.pixmap(output.asset)
        return 0 if pixmap is None else round(pixmap.deviceIndependentSize().width())

    qtbot.waitUntil(lambda: decoded_width() == 128)
    view.size_slider.setValue(240)
    qtbot.waitUntil(lambda: decoded_width() == 240)
    view.size_slider.setValue(100)
    qtbot.wait(100)
    assert decoded_width() == 240 and view.thumbnails.state(output.asset) == "loaded"
