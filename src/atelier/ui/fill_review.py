"""Reviewing a generative fill: when the canvas shows a fill result that nobody has judged yet, a
small bar over it offers Before / After (the picture the fill started from, in the same place and
zoom; holding ``\\`` shows it too, as long as the key is down), Keep and Discard.

A result is stored in the history, linked to its source, the moment it is made (nothing is ever
lost), so Keep only says "judged" and puts the bar away; Discard is the history's undoable delete,
and the canvas shows the source again with the mask still painted over it, ready for another try.
The bar is for results made in this window: a result brought back by undoing its Discard awaits
review again, and selecting any other output hides the bar. Enter keeps and Esc discards while
the canvas has the focus (elsewhere those keys keep their own meaning: a new line, cancelling a job).
"""

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton

from .theme import contrast_ratio, mix
from .widgets import named

BEFORE_CAPTION = "Before \u00b7 the picture the fill started from"
_MARGIN = 12  # px between the bar and the canvas's bottom edge
_WHITE, _BLACK = QColor(255, 255, 255), QColor(0, 0, 0)
# Like the canvas's corner labels, the bar lies over any picture: a dark plate of its own in both
# themes, with the theme's accent on Keep.
_STYLE = """
QFrame#fillReviewBar {{ background: rgba(24, 24, 28, 222); border: 1px solid rgba(255, 255, 255, 40);
                        border-radius: 10px; }}
QLabel {{ color: #c9c9d0; background: transparent; padding: 0 4px 0 2px; }}
QPushButton {{ color: #ececf0; background: rgba(255, 255, 255, 20); border: 1px solid rgba(255, 255, 255, 46);
               border-radius: 6px; padding: 4px 12px; min-width: 44px; }}
QPushButton:hover {{ background: rgba(255, 255, 255, 38); }}
QPushButton:pressed {{ background: rgba(255, 255, 255, 12); }}
QPushButton#fillReviewBeforeButton {{ border-top-right-radius: 0; border-bottom-right-radius: 0; }}
QPushButton#fillReviewAfterButton {{ border-top-left-radius: 0; border-bottom-left-radius: 0; border-left: none; }}
QPushButton:checked {{ color: #1c1c20; background: #ffd37a; border-color: #ffd37a; }}
QPushButton#fillReviewKeepButton {{ color: #ffffff; background: {accent}; border-color: {accent}; font-weight: 600; }}
QPushButton#fillReviewKeepButton:hover {{ background: {accent_hover}; }}
QPushButton#fillReviewDiscardButton:hover {{ color: #ffb4ab; border-color: #ffb4ab; }}
"""


def _accent(palette: QPalette) -> QColor:
    """The theme's highlight, darkened until white text on it reads at 4.5:1 (WCAG AA)."""
    colour = palette.color(QPalette.ColorRole.Highlight)
    while contrast_ratio(_WHITE, colour) < 4.5:
        colour = mix(colour, _BLACK, 0.1)
    return colour


class FillReviewBar(QFrame):
    """The bar itself (objectName fillReviewBar): a caption, Before | After, Keep, Discard."""

    def __init__(self, parent):
        super().__init__(parent)
        named(self, "fillReviewBar", "Review the fill")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(0)
        layout.addWidget(QLabel("Fill result"))
        layout.addSpacing(8)
        self.before_button = self._button("fillReviewBeforeButton", "Before",
                                          "Show the picture the fill started from (hold \\ to peek)")
        self.after_button = self._button("fillReviewAfterButton", "After", "Show the fill result")
        self.before_button.setCheckable(True)
        self.after_button.setCheckable(True)
        self.after_button.setChecked(True)
        self._accent: QColor | None = None
        self.keep_button = self._button("fillReviewKeepButton", "Keep", "Keep the result (Enter)")
        self.discard_button = self._button("fillReviewDiscardButton", "Discard",
                                           "Delete the result and show the picture again (Esc; Ctrl+Z brings it back)")
        for widget, space_before in ((self.before_button, 0), (self.after_button, 0), (self.keep_button, 12),
                                     (self.discard_button, 6)):
            layout.addSpacing(space_before)
            layout.addWidget(widget)
        self._restyle()
        self.hide()

    def _button(self, name: str, text: str, tip: str) -> QPushButton:
        button = named(QPushButton(text), name, text)
        button.setToolTip(tip)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        # Clicking leaves the focus where it was (the canvas, for the keys; the prompt, for typing).
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _restyle(self) -> None:
        accent = _accent(QApplication.palette())  # the theme's: this widget's own follows its style sheet
        if accent == self._accent:
            return  # setting the style sheet changes the palette, which calls this again
        self._accent = accent
        self.setStyleSheet(_STYLE.format(accent=accent.name(), accent_hover=mix(accent, _WHITE, 0.12).name()))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the theme changed: its accent with it
            self._restyle()


class FillReview(QObject):
    """Follows what the window shows and offers the bar for an unjudged fill result. Built with the
    window (signals only); the bar is made the first time a fill result is shown."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.bar: FillReviewBar | None = None
        self.result_id: str | None = None  # the result under review, while the bar is up
        self.source_id: str | None = None  # ... and the picture it was made from
        self._unjudged: set[str] = set()  # fill results made here and not yet kept
        self._source_image: QImage | None = None  # source_id's pixels, loaded as the bar comes up
        self._before_wanted = False  # Before asked for while the source was still being read
        self._peeking = False  # `\` is held
        project = window.project_controller
        project.changed.connect(self._on_change)
        project.current_changed.connect(self._follow)
        project.image_loaded.connect(self._on_image_loaded)
        project.opened.connect(self._on_opened)
        window.generation.preview_shown.connect(self._on_preview)

    # ----- what the window and tests read --------------------------------------------------------
    @property
    def showing(self) -> bool:
        return self.bar is not None and self.bar.isVisible()

    @property
    def before_shown(self) -> bool:
        """The canvas shows the source in place of the result."""
        return self.window.canvas.comparing == BEFORE_CAPTION

    # ----- the artist's choices -------------------------------------------------------------------
    def show_before(self) -> None:
        """The source in the canvas, at the result's place and zoom; the mask stays over it."""
        if not self.showing:
            return
        self._mark(before=True)
        if self._source_image is None:
            self._before_wanted = True  # shown the moment it is read
        else:
            self.window.canvas.compare_with(self._source_image, BEFORE_CAPTION)

    def show_after(self) -> None:
        """The result again (also before a Generate: the mask then goes over the picture shown)."""
        self._before_wanted = False
        self._mark(before=False)
        if self.before_shown:
            self.window.canvas.end_compare()

    def keep(self) -> None:
        """The result stays where it is, in the history linked to its source: judged, bar away."""
        if not self.showing:
            return
        self._unjudged.discard(self.result_id)
        self._hide()
        self.window.statusBar().showMessage("Fill kept in the history, linked to the picture it came from", 5000)

    def discard(self) -> None:
        """Delete the result (undoable) and show its source again, the mask still over it."""
        if not self.showing:
            return
        result_id, source_id = self.result_id, self.source_id
        project = self.window.project_controller
        if self._source_image is not None:  # on the canvas at once, not the result until it is read
            self.window.canvas.show_image(self._source_image)
        project.show_output(source_id)  # first: the history then has no neighbour to pick instead
        project.delete_output(result_id)

    # ----- following the window ---------------------------------------------------------------------
    @Slot(object)
    def _on_change(self, change) -> None:
        from .bridges.project_changes import OutputAdded

        if isinstance(change, OutputAdded) and change.token != "import" and self._source_of(change.output.id):
            self._unjudged.add(change.output.id)
            self._follow(self.window.project_controller.current_output_id)  # it may be shown already

    @Slot(object)
    def _follow(self, output_id: str | None) -> None:
        source_id = self._source_of(output_id) if output_id in self._unjudged else None
        if source_id is None:
            self._hide()
            return
        if output_id == self.result_id:
            self.show_after()  # shown again (clicked once more): its image is being read anew
            return
        self.show_after()
        self.result_id, self.source_id = output_id, source_id
        self._source_image = None
        self.window.project_controller.load_image(source_id)  # ready before Before is asked for
        self._ensure_bar().show()
        self._place()

    @Slot(str, QImage)
    def _on_image_loaded(self, output_id: str, image: QImage) -> None:
        if output_id == self.source_id and self.showing:
            self._source_image = image
            if self._before_wanted:
                self._before_wanted = False
                self.window.canvas.compare_with(image, BEFORE_CAPTION)

    def _on_preview(self, *_preview) -> None:
        self._hide()  # the canvas shows another job's progress; the result is judged when shown again

    def _on_opened(self, *_opened) -> None:
        self._unjudged.clear()
        self._hide()

    def _source_of(self, output_id: str | None) -> str | None:
        """The source of a fill result whose source is in the project; None for anything else."""
        project = self.window.project_controller
        found = project.find(output_id) if output_id is not None else None
        if found is None:
            return None
        output = found[1]
        if output.kind != "image" or (output.recipe or {}).get("task") != "inpaint" or output.source is None:
            return None
        return output.source if project.find(output.source) is not None else None

    def _hide(self) -> None:
        if self.bar is not None and self.bar.isVisible():
            self.show_after()
            self.bar.hide()
        self.result_id = self.source_id = None
        self._source_image = None
        self._peeking = False

    def _mark(self, before: bool) -> None:
        """Check the side shown, and only it (a click on the checked one would uncheck it)."""
        if self.bar is not None:
            self.bar.before_button.setChecked(before)
            self.bar.after_button.setChecked(not before)

    # ----- the bar ----------------------------------------------------------------------------------
    def _ensure_bar(self) -> FillReviewBar:
        if self.bar is None:
            canvas = self.window.canvas
            # A child of the view, not of its viewport (whose children scroll with the picture).
            self.bar = FillReviewBar(canvas)
            self.bar.before_button.clicked.connect(self.show_before)
            self.bar.after_button.clicked.connect(self.show_after)
            self.bar.keep_button.clicked.connect(self.keep)
            self.bar.discard_button.clicked.connect(self.discard)
            canvas.installEventFilter(self)
            self.bar.destroyed.connect(self._forget_bar)  # with the window: no more keys to watch for it
        return self.bar

    def _forget_bar(self, *_destroyed) -> None:
        self.bar = None

    def _place(self) -> None:
        """Bottom centre of the canvas, clear of the zoom in its bottom-right corner."""
        bar, canvas = self.bar, self.window.canvas
        if bar is None:
            return
        bar.adjustSize()
        area = canvas.viewport().geometry()
        x = area.left() + (area.width() - bar.width()) // 2
        zoom = canvas.zoom_label
        if zoom.isVisible():
            x = min(x, zoom.x() - bar.width() - _MARGIN)
        bar.move(max(area.left() + _MARGIN, x), area.bottom() - bar.height() - _MARGIN + 1)
        bar.raise_()

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize:
            QTimer.singleShot(0, self, self._place)  # after the view has laid out its viewport
            return False
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease) \
                or not self.showing:
            return False
        key, plain = event.key(), not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if not plain or key not in (Qt.Key.Key_Backslash, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            return False
        if kind == QEvent.Type.ShortcutOverride:  # ours while the bar is up: not the window's Esc
            event.accept()
            return True
        if event.isAutoRepeat():
            return True
        if key == Qt.Key.Key_Backslash:
            self._peek(kind == QEvent.Type.KeyPress)
        elif kind == QEvent.Type.KeyPress:
            self.keep() if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) else self.discard()
        return True

    def _peek(self, down: bool) -> None:
        """``\\`` held: the source while it is down, then back to what the buttons say."""
        if down and not self._peeking:
            self._peeking = not self.bar.before_button.isChecked()
            if self._peeking:
                self.show_before()
        elif not down and self._peeking:
            self._peeking = False
            self.show_after()
