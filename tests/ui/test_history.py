"""The History panel, driven with qtbot on real project objects and real PNG bytes."""

import io
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QColor, QImage

from atelier.core.project import Entry, Output, Project
from atelier.ui.actions import OutputActions, output_actions
from atelier.ui.bridges.project_changes import OutputRemoved, OutputRestored
from atelier.ui.history import COUNT_ROLE, KIND_ROLE, THUMB, Colours, HistoryView, decode_thumbnail

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def png(color, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


class Assets:
    """A read_asset that counts its calls (from any thread) and fails for unknown names."""

    def __init__(self):
        self.data: dict[str, bytes] = {}
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def add(self, name: str, data: bytes) -> str:
        self.data[name] = data
        return name

    def read(self, name: str) -> bytes:
        with self._lock:
            self.calls.append(name)
        return self.data[name]  # KeyError for a missing asset, like a damaged project


def make_project(assets: Assets, prompts, per_entry=2, color=(40, 90, 200), size=(64, 48)) -> Project:
    project = Project()
    n = 0
    for i, prompt in enumerate(prompts):
        entry = Entry(prompt=prompt, parameters={"seed": 100 + i}, model={"name": "tiny"},
                      created=(START + timedelta(minutes=i)).isoformat())
        for _ in range(per_entry):
            name = assets.add(f"assets/{n:05d}.png", png(color, size))
            entry.outputs.append(Output(kind="image", asset=name, recipe={"prompt": prompt, "seed": 1000 + n},
                                        created=(START + timedelta(minutes=i, seconds=n)).isoformat()))
            n += 1
        project.entries.append(entry)
    return project


HANDLERS = ("use_prompt", "use_seed", "reproduce", "toggle_favourite", "rate", "export", "toggle_hidden", "delete",
            "edit", "save_as", "save_sound_as", "use_as_init_image", "use_as_init_sound",
            "vary")


def recording_actions(view: HistoryView, calls: list) -> OutputActions:
    """The real list of output actions, each handler noting its call in ``calls``."""
    def handler(name):
        return lambda *args: calls.append((name, *args))

    return OutputActions(output_actions(**{name: handler(name) for name in HANDLERS}), view.model.find, view)


@pytest.fixture
def view(qtbot):
    widget = HistoryView()
    qtbot.addWidget(widget)
    widget.calls = []
    widget.set_actions(recording_actions(widget, widget.calls))
    widget.resize(640, 520)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def ids(entry: Entry) -> list[str]:
    return [o.id for o in entry.outputs]


def click(qtbot, view: HistoryView, output_id: str) -> None:
    rect = view.list_view.visualRect(view.index_of(output_id))
    assert rect.isValid() and view.list_view.viewport().rect().contains(rect.center())
    qtbot.mouseClick(view.list_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def star_pixels(view: HistoryView, output_id: str) -> int:
    """Gold pixels in a tile's top-right corner (where the favourite star goes), as painted."""
    rect = view.list_view.visualRect(view.index_of(output_id))
    rect.setLeft(rect.right() - 36)
    rect.setHeight(36)
    image = view.list_view.viewport().grab(rect).toImage()
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.red() > 230 and 160 < c.green() < 220 and c.blue() < 110:
                count += 1
    return count


# ----- order and grouping -----------------------------------------------------------------------
def test_newest_request_first_each_with_its_outputs_in_the_order_made(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["a red fox", "a blue whale", "a green frog"])
    first, second, third = project.entries
    view.set_project(project, assets.read)

    assert view.groups() == [(third.id, ids(third)), (second.id, ids(second)),
                             (first.id, ids(first))]
    assert view.shown_output_ids() == ids(third) + ids(second) + ids(first)
    model = view.model
    assert [model.index(r).data(KIND_ROLE) for r in range(model.rowCount())] == [
        "entry", "output", "output"] * 3
    assert model.index(0).data() == "a green frog"
    assert view.count_label.text() == "6 outputs"

    # Each header takes a full row of the grid, above its own outputs.
    qtbot.waitUntil(lambda: view.list_view.visualRect(model.index(0)).width() > 500)
    header = view.list_view.visualRect(model.index(0))
    viewport = view.list_view.viewport().width()
    assert viewport - header.width() <= 2 * 5 + 2
    tiles = [view.list_view.visualRect(view.index_of(i)) for i in ids(third)]
    assert all(t.top() >= header.bottom() for t in tiles)
    assert tiles[0].top() == tiles[1].top() and tiles[0].left() < tiles[1].left()
    next_header = view.list_view.visualRect(model.index(3))
    assert next_header.top() >= tiles[0].bottom()
    assert next_header.left() == header.left()


# ----- filters ------------------------------------------------------------------------------------
def test_filter_by_prompt_is_a_case_insensitive_substring(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["A Red Fox in snow", "a blue whale", "arctic FOX cub"])
    fox, whale, cub = project.entries
    view.set_project(project, assets.read)

    qtbot.keyClicks(view.filter_edit, "fOx")
    assert view.groups() == [(cub.id, ids(cub)), (fox.id, ids(fox))]
    assert view.count_label.text() == "4 of 6 shown"

    view.filter_edit.setText("blue wh")
    assert view.shown_output_ids() == ids(whale)

    view.filter_edit.setText("nothing like this")
    assert view.shown_output_ids() == [] and view.model.rowCount() == 0
    assert view.list_view.empty_text == "Nothing matches."

    view.filter_edit.clear()
    assert len(view.shown_output_ids()) == 6 and view.count_label.text() == "6 outputs"


def test_filter_uses_each_outputs_own_prompt(qtbot, view):
    assets = Assets()
    entry = Entry(prompt="a castle")
    entry.outputs = [
        Output(kind="image", asset=assets.add("a.png", png("red")), recipe={"prompt": "a castle", "seed": 1}),
        Output(kind="image", asset=assets.add("b.png", png("blue")), recipe={"prompt": "a castle at night", "seed": 2}),
    ]
    view.set_project(Project(entries=[entry]), assets.read)
    view.filter_edit.setText("NIGHT")
    assert view.shown_output_ids() == [entry.outputs[1].id]


def test_favourites_only(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["one", "two", "three"])
    liked = [project.entries[0].outputs[1], project.entries[2].outputs[0]]
    for output in liked:
        output.favourite = True
    view.set_project(project, assets.read)

    view.favourites_button.click()
    assert view.favourites_button.isChecked()
    assert view.groups() == [(project.entries[2].id, [liked[1].id]), (project.entries[0].id, [liked[0].id])]
    view.favourites_button.click()
    assert len(view.shown_output_ids()) == 6


def test_hidden_outputs_show_only_with_show_hidden(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["one", "two"])
    hidden = project.entries[1].outputs[0]
    hidden.hidden = True
    lonely = project.entries[0]
    for output in lonely.outputs:
        output.hidden = True  # a request whose outputs are all hidden loses its header too
    view.set_project(project, assets.read)

    assert view.shown_output_ids() == [project.entries[1].outputs[1].id]
    assert [g[0] for g in view.groups()] == [project.entries[1].id]
    assert view.count_label.text() == "1 of 4 shown"

    view.show_hidden_button.click()
    assert view.shown_output_ids() == ids(project.entries[1]) + ids(lonely)
    assert "Hidden" in view.model.index(view.model.row_of(hidden.id)).data(Qt.ItemDataRole.ToolTipRole)


# ----- live changes -------------------------------------------------------------------------------
def test_add_output_puts_the_new_one_first_and_keeps_the_selection(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["old", "older"])
    view.set_project(project, assets.read)
    picked = project.entries[0].outputs[0].id
    assert view.select_output(picked) and view.current_output_id() == picked

    activated = []
    view.output_activated.connect(activated.append)
    entry = Entry(prompt="brand new")
    output = Output(kind="image", asset=assets.add("assets/new.png", png("orange")), recipe={"prompt": "brand new", "seed": 9})
    entry.outputs.append(output)
    view.add_output(entry, output)

    assert view.shown_output_ids()[0] == output.id
    assert view.groups()[0] == (entry.id, [output.id])
    assert view.current_output_id() == picked and activated == []

    # A second image of the same request joins its group, after the first (a batch reads 1 to N).
    second = Output(kind="image", asset=assets.add("assets/new2.png", png("pink")), recipe={"prompt": "brand new", "seed": 10})
    entry.outputs.append(second)  # the session appends to the same Entry object
    view.add_output(entry, second)
    assert view.groups()[0] == (entry.id, [output.id, second.id])
    assert view.model.index(0).data(Qt.ItemDataRole.DisplayRole) == "brand new"
    assert view.model.index(0).data(COUNT_ROLE) == 2  # the header's "2 images"
    assert len(view.shown_output_ids()) == 6 and view.count_label.text() == "6 outputs"

    # Adding the same output twice does not duplicate it.
    view.add_output(entry, second)
    assert view.shown_output_ids().count(second.id) == 1


def laid_out(view: HistoryView) -> None:
    """Let the list lay its items out again, as it does at the next turn of the event loop."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()


def test_removing_and_restoring_an_output_moves_only_its_rows(qtbot, view):
    assets = Assets()
    project = make_project(assets, [f"prompt {i}" for i in range(40)], per_entry=3)
    view.set_project(project, assets.read)
    bar = view.list_view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum() // 2)
    middle = project.entries[20]
    picked = project.entries[30].outputs[1].id
    view.select_output(picked)
    bar.setValue(bar.maximum() // 2)
    before = bar.value()
    resets = []
    view.model.modelReset.connect(lambda: resets.append(True))

    gone = middle.outputs[1]
    view.apply_change(OutputRemoved(gone.id))
    laid_out(view)
    assert gone.id not in view.shown_output_ids() and view.model.output_count() == 119
    assert bar.value() == before and view.current_output_id() == picked
    view.apply_change(OutputRestored(middle.id, gone, 1))
    laid_out(view)
    assert view.groups()[19] == (middle.id, ids(middle))
    assert bar.value() == before and view.current_output_id() == picked

    # A request's last output takes its header with it, and brings it back.
    lonely = Project(entries=[project.entries[10]])
    for output in list(lonely.entries[0].outputs):
        view.apply_change(OutputRemoved(output.id))
    assert project.entries[10].id not in [g[0] for g in view.groups()]
    for index, output in enumerate(lonely.entries[0].outputs):
        view.apply_change(OutputRestored(project.entries[10].id, output, index))
    laid_out(view)
    assert view.groups()[29] == (project.entries[10].id, ids(project.entries[10]))
    assert resets == [] and bar.value() == before


def test_the_selected_output_removed_and_restored_is_selected_again(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["one"], per_entry=3)
    view.set_project(project, assets.read)
    target = project.entries[0].outputs[1]
    view.select_output(target.id)
    activated = []
    view.output_activated.connect(activated.append)
    view.apply_change(OutputRemoved(target.id))
    following = project.entries[0].outputs[2].id  # the next one takes the selection, and is shown
    assert view.current_output_id() == following and activated == [following]
    view.apply_change(OutputRestored(project.entries[0].id, target, 1))
    assert view.current_output_id() == target.id and activated == [following, target.id]


class EventsSeen(QObject):
    """An event filter that notes the objects it sees get events of one type."""

    def __init__(self, kind: QEvent.Type):
        super().__init__()
        self.kind = kind
        self.seen = []

    def eventFilter(self, watched, event):
        if event.type() == self.kind:
            self.seen.append(watched)
        return False


def test_repainting_the_grid_leaves_the_panel_behind_it_alone(view, qtbot):
    """The grid's viewport fills its own background (Base, as Qt's own viewports do), so a
    thumbnail arriving repaints only the grid, not the panel, dock and window under it."""
    from PySide6.QtGui import QPalette

    grid = view.list_view.viewport()
    assert grid.autoFillBackground() and grid.backgroundRole() == QPalette.ColorRole.Base
    paints = EventsSeen(QEvent.Type.Paint)
    view.installEventFilter(paints)
    grid.installEventFilter(paints)
    qtbot.wait(50)  # the first frame is done
    paints.seen.clear()
    grid.update()
    qtbot.waitUntil(lambda: grid in paints.seen)
    qtbot.wait(20)
    assert view not in paints.seen


def test_a_new_output_repaints_the_count_without_laying_out_the_window_around_it(qtbot):
    """The count's text changes with every output; if its size could change too, Qt would lay
    out the dock and the main window around the panel again each time."""
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    window = QWidget()  # stands for the dock and main window the panel sits in
    qtbot.addWidget(window)
    view = HistoryView()
    QVBoxLayout(window).addWidget(view)
    window.resize(640, 520)
    window.show()
    qtbot.waitExposed(window)
    assets = Assets()
    view.set_project(make_project(assets, ["first"], per_entry=1), assets.read)

    layouts = EventsSeen(QEvent.Type.LayoutRequest)
    window.installEventFilter(layouts)
    qtbot.wait(50)  # what showing the window asked for is done
    layouts.seen.clear()
    width = view.count_label.width()
    entry = Entry(prompt="more")
    for n in range(12):  # "2 outputs" ... "13 outputs": ever longer texts
        output = Output(kind="image", asset=assets.add(f"assets/more{n}.png", png("teal")), recipe={"seed": n})
        entry.outputs.append(output)
        view.add_output(entry, output)
        qtbot.wait(5)
    assert view.count_label.text() == "13 outputs"
    assert layouts.seen == []
    assert view.count_label.width() == width
    assert view.count_label.width() >= view.count_label.fontMetrics().horizontalAdvance("9,999,999 of 9,999,999 shown")


def test_update_output_changes_the_favourite_star(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["stars"], per_entry=2, color=(30, 60, 200))
    view.set_project(project, assets.read)
    output = project.entries[0].outputs[0]
    qtbot.waitUntil(lambda: view.thumbnail_state(output.id) == "loaded")
    index = view.index_of(output.id)
    assert "Favourite" not in index.data(Qt.ItemDataRole.ToolTipRole)
    assert star_pixels(view, output.id) == 0

    output.favourite = True
    output.rating = 4
    view.update_output(output)
    assert "\u2605 Favourite" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "Rated 4/5" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert star_pixels(view, output.id) > 40
    assert star_pixels(view, project.entries[0].outputs[1].id) == 0

    # A copy with the same id works too, and leaving favourites-only drops it from the view.
    view.favourites_button.setChecked(True)
    assert view.shown_output_ids() == [output.id]
    copy = Output.from_dict({**output.to_dict(), "favourite": False})
    view.update_output(copy)
    assert view.shown_output_ids() == []
    view.favourites_button.setChecked(False)
    assert star_pixels(view, output.id) == 0


def test_hiding_the_selected_output_selects_and_shows_its_neighbour(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["one"], per_entry=3)
    view.set_project(project, assets.read)
    target = project.entries[0].outputs[1]
    view.select_output(target.id)
    activated = []
    view.output_activated.connect(activated.append)
    target.hidden = True
    view.update_output(target)
    assert target.id not in view.shown_output_ids()
    following = project.entries[0].outputs[2].id
    assert activated == [following] and view.current_output_id() == following

    # The last one hidden hands the selection back to the one before it.
    last = project.entries[0].outputs[2]
    last.hidden = True
    view.update_output(last)
    first = project.entries[0].outputs[0].id
    assert activated == [following, first] and view.current_output_id() == first


def test_clear_empties_the_panel(qtbot, view):
    assets = Assets()
    view.set_project(make_project(assets, ["one"]), assets.read)
    view.clear()
    assert view.shown_output_ids() == [] and view.model.rowCount() == 0
    assert view.count_label.text() == ""
    assert view.list_view.empty_text.startswith("Nothing here yet")


# ----- activation and actions ----------------------------------------------------------------------
def test_clicking_an_item_emits_its_id(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["one", "two"])
    view.set_project(project, assets.read)
    target = project.entries[0].outputs[1]
    qtbot.waitUntil(lambda: view.list_view.visualRect(view.index_of(target.id)).isValid())

    with qtbot.waitSignal(view.output_activated) as blocker:
        click(qtbot, view, target.id)
    assert blocker.args == [target.id]
    assert view.current_output_id() == target.id

    # Clicking it again shows it again (once), and the keyboard moves on to the one before.
    activated = []
    view.output_activated.connect(activated.append)
    click(qtbot, view, target.id)
    assert activated == [target.id]
    qtbot.keyClick(view.list_view, Qt.Key.Key_Left)
    assert activated == [target.id, project.entries[0].outputs[0].id]


def test_clicking_a_header_does_nothing(qtbot, view):
    assets = Assets()
    view.set_project(make_project(assets, ["one"]), assets.read)
    activated = []
    view.output_activated.connect(activated.append)
    rect = view.list_view.visualRect(view.model.index(0))
    qtbot.mouseClick(view.list_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated == [] and view.current_output_id() is None


def context_actions(menu) -> dict:
    """The menu's actions by name, its submenus' included."""
    from PySide6.QtGui import QAction

    return {a.data(): a for a in menu.findChildren(QAction) if a.data()}


def test_context_menu_actions_call_each_handler_for_the_output(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["a fox"])
    output = project.entries[0].outputs[0]
    output.rating = 2
    view.set_project(project, assets.read)

    menu = view.build_context_menu(output.id)
    actions = context_actions(menu)
    assert set(actions) == {spec.name for spec in view.output_actions.actions if spec.in_context_menu}
    assert [m.title() for m in menu.findChildren(type(menu))] == ["Rate", "Transform"]
    assert actions["hide"].text() == "Hide"
    assert actions["favourite"].isCheckable() and not actions["favourite"].isChecked()
    assert actions["rate_2"].isChecked() and not actions["rate_3"].isChecked()
    assert actions["use_seed"].isEnabled() and "1000" in actions["use_seed"].text()

    for name in ("use_prompt", "use_seed", "reproduce", "favourite", "rate_0", "rate_5", "flip_vertical",
                 "rotate_left", "export", "hide", "delete"):
        actions[name].trigger()
    oid = output.id
    assert view.calls == [("use_prompt", oid), ("use_seed", oid), ("reproduce", oid), ("toggle_favourite", oid),
                          ("rate", 0, oid), ("rate", 5, oid), ("edit", "flip-vertical", oid),
                          ("edit", "rotate-left", oid), ("export", oid), ("toggle_hidden", oid), ("delete", oid)]


def test_context_menu_reflects_the_outputs_state(qtbot, view):
    assets = Assets()
    entry = Entry(prompt="")
    output = Output(kind="image", asset=assets.add("x.png", png("red")), recipe=None, hidden=True, favourite=True)
    entry.outputs.append(output)
    view.show_hidden_button.setChecked(True)
    view.set_project(Project(entries=[entry]), assets.read)

    actions = context_actions(view.build_context_menu(output.id))
    assert actions["hide"].text() == "Show"
    assert actions["favourite"].isChecked()
    assert not actions["use_seed"].isEnabled() and not actions["reproduce"].isEnabled()
    assert not actions["use_prompt"].isEnabled()
    assert view.build_context_menu("no such id") is None


def test_tooltip_shows_prompt_and_seed(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["a <b>bold</b> heron"], per_entry=1)
    view.set_project(project, assets.read)
    tip = view.index_of(project.entries[0].outputs[0].id).data(Qt.ItemDataRole.ToolTipRole)
    assert "a &lt;b&gt;bold&lt;/b&gt; heron" in tip
    assert "Seed 1000" in tip


def test_tooltip_says_how_a_recipe_of_another_task_was_made(qtbot, view):
    from recipes import make_recipe

    from atelier.core.tasks import ImageToImageRequest

    assets = Assets()
    project = make_project(assets, ["a heron", "a crane", "a stork"], per_entry=1)
    init = "assets/" + "ab" * 32 + ".png"
    img2img, newer = project.entries[1].outputs[0], project.entries[2].outputs[0]
    img2img.recipe = make_recipe(request=ImageToImageRequest(prompt="a crane", seed=4, init_image=init,
                                                             strength=0.35)).to_dict()
    newer.recipe = {**make_recipe().to_dict(), "task": "text-to-video",
                    "request": {"task": "text-to-video", "prompt": "a stork", "seed": 9, "frames": 49}}
    view.set_project(project, assets.read)

    def tip(output):
        return view.index_of(output.id).data(Qt.ItemDataRole.ToolTipRole)

    assert "image to image, strength 0.35" in tip(img2img) and "Seed 4" in tip(img2img)
    assert "made by a newer Atelier (text-to-video)" in tip(newer) and "Seed 9" in tip(newer)
    assert "image to image" not in tip(project.entries[0].outputs[0])


# ----- lazy thumbnails -----------------------------------------------------------------------------
def test_a_thousand_outputs_open_without_reading_and_load_only_what_is_visible(qtbot, view):
    assets = Assets()
    project = make_project(assets, [f"prompt {i}" for i in range(250)], per_entry=4, size=(256, 192))
    started = time.perf_counter()
    view.set_project(project, assets.read)
    elapsed = time.perf_counter() - started
    assert assets.calls == []  # nothing read, let alone decoded, on the UI thread
    assert elapsed < 0.5
    assert len(view.shown_output_ids()) == 1000

    newest = project.entries[-1].outputs[-1]
    oldest = project.entries[0].outputs[0]
    qtbot.waitUntil(lambda: view.thumbnail_state(newest.id) == "loaded", timeout=5000)
    qtbot.waitUntil(lambda: not view.thumbnails.busy(), timeout=5000)
    pixmap = view.thumbnails.pixmap(newest.asset)
    assert (pixmap.width(), pixmap.height()) == (THUMB, 96)  # 256x192 fitted into 128

    viewport = view.list_view.viewport().rect()
    visible = [i for i in view.shown_output_ids()
               if view.list_view.visualRect(view.index_of(i)).intersects(viewport)]
    assert 4 <= len(visible) < 60
    assert all(view.thumbnail_state(i) == "loaded" for i in visible)
    assert len(set(assets.calls)) < 100 and view.thumbnail_state(oldest.id) == "none"

    # Scrolling to the end brings the oldest in.
    view.list_view.scrollToBottom()
    qtbot.waitUntil(lambda: view.thumbnail_state(oldest.id) == "loaded", timeout=5000)
    assert len(set(assets.calls)) < 200


def test_a_failing_read_asset_leaves_a_placeholder(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["broken", "fine"], per_entry=1)
    missing = project.entries[0].outputs[0]
    del assets.data[missing.asset]  # read_asset raises KeyError for it
    garbled = Output(kind="image", asset=assets.add("assets/garbled.png", b"not a png at all"))
    project.entries[1].outputs.append(garbled)
    fine = project.entries[1].outputs[0]
    view.set_project(project, assets.read)

    qtbot.waitUntil(lambda: view.thumbnail_state(missing.id) == "failed", timeout=5000)
    qtbot.waitUntil(lambda: view.thumbnail_state(garbled.id) == "failed", timeout=5000)
    qtbot.waitUntil(lambda: view.thumbnail_state(fine.id) == "loaded", timeout=5000)
    assert view.thumbnails.pixmap(missing.asset) is None
    # Failures are not retried on every repaint.
    reads = assets.calls.count(missing.asset)
    view.list_view.viewport().repaint()
    qtbot.wait(50)
    assert assets.calls.count(missing.asset) == reads == 1
    # The placeholder is painted: the tile shows the neutral well colour, not a thumbnail.
    rect = view.list_view.visualRect(view.index_of(missing.id))
    tile = view.list_view.viewport().grab(rect).toImage()
    well = Colours(view.list_view.palette()).well
    assert tile.pixelColor(12, 12).getRgb()[:3] == well.getRgb()[:3]
    fine_rect = view.list_view.visualRect(view.index_of(fine.id))
    fine_tile = view.list_view.viewport().grab(fine_rect).toImage()
    centre = (fine_rect.width() // 2, fine_rect.height() // 2)
    assert fine_tile.pixelColor(*centre) == QColor(40, 90, 200)  # the real thumbnail
    assert tile.pixelColor(*centre) != QColor(40, 90, 200)
    # A new project (source) gets another try.
    assets.data[missing.asset] = png("green")
    view.set_project(project, assets.read)
    qtbot.waitUntil(lambda: view.thumbnail_state(missing.id) == "loaded", timeout=5000)


def test_audio_outputs_are_read_for_their_waveform(qtbot, view):
    """A sound's thumbnail is its waveform (tests/ui/test_history_audio.py): it is read off the
    UI thread like a picture, and a missing one fails to a placeholder like a picture's."""
    assets = Assets()
    entry = Entry(prompt="rain on a roof")
    sound = Output(kind="audio", asset="assets/rain.wav", recipe={"prompt": "rain on a roof", "seed": 3})
    image = Output(kind="image", asset=assets.add("assets/cover.png", png("teal")))
    entry.outputs += [sound, image]
    view.set_project(Project(entries=[entry]), assets.read)
    qtbot.waitUntil(lambda: view.thumbnail_state(image.id) == "loaded", timeout=5000)
    qtbot.waitUntil(lambda: view.thumbnail_state(sound.id) == "failed", timeout=5000)  # not in the assets
    assert sorted(assets.calls) == sorted([image.asset, sound.asset])
    assert view.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole) == "Request: rain on a roof"


def test_decode_thumbnail_fits_the_box_and_rejects_garbage():
    wide = decode_thumbnail(png("red", (512, 256)), "assets/wide.png", 128)
    assert (wide.width(), wide.height()) == (128, 64)
    small = decode_thumbnail(png("red", (40, 30)), "assets/small.png", 128)
    assert (small.width(), small.height()) == (40, 30)
    assert decode_thumbnail(b"garbage", "assets/garbage.png", 128).isNull()
    assert isinstance(small, QImage)


def test_context_menu_opens_on_right_click(qtbot, view):
    assets = Assets()
    project = make_project(assets, ["one"], per_entry=1)
    view.set_project(project, assets.read)
    output = project.entries[0].outputs[0]
    shown = []
    view.popup_menu = lambda menu, pos: shown.append(sorted(a.data() for a in menu.actions() if a.data()))
    rect = view.list_view.visualRect(view.index_of(output.id))
    view.list_view.customContextMenuRequested.emit(rect.center())
    assert shown == [sorted(["use_as_init_image", "use_as_init_sound", "variations_subtle", "variations_strong", "use_prompt", "use_seed",
                             "reproduce", "favourite", "save_sound_as", "export", "hide", "delete"])]
    view.list_view.customContextMenuRequested.emit(QPoint(rect.right() + 200, rect.bottom() + 200))
    assert len(shown) == 1


def test_a_thumbnail_finishing_after_its_panel_is_gone_goes_nowhere(qtbot):
    """The window can close while a decoder thread still reads an asset: deleting the panel
    (and collecting its garbage) must not pull anything out from under that thread."""
    import gc

    from atelier.ui.history import ThumbnailCache

    started, release = threading.Event(), threading.Event()

    def slow_read(name: str) -> bytes:
        started.set()
        release.wait(10)
        return png("red")

    closing = ThumbnailCache()
    closing.set_source(slow_read)
    closing.request("assets/slow.png")
    qtbot.waitUntil(started.is_set, timeout=5000)
    closing.deleteLater()
    qtbot.wait(10)  # deleteLater runs
    del closing
    gc.collect()
    release.set()

    survivor = ThumbnailCache()
    assets = Assets()
    survivor.set_source(assets.read)
    survivor.request(assets.add("assets/blue.png", png("blue")))
    qtbot.waitUntil(lambda: survivor.state("assets/blue.png") == "loaded", timeout=5000)
    assert survivor.state("assets/slow.png") == "none"  # the gone panel's thumbnail is not taken
