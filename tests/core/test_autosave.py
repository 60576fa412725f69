from atelier.core.autosave import AutosaveClock


def test_nothing_is_due_without_a_change():
    clock = AutosaveClock(debounce=2, interval=60)
    assert not clock.due(1000.0) and not clock.pending


def test_saves_after_a_quiet_moment():
    clock = AutosaveClock(debounce=2, interval=60)
    clock.changed(10.0)
    assert not clock.due(11.9)
    assert clock.due(12.0)
    clock.saved()
    assert not clock.due(20.0) and not clock.pending


def test_steady_changes_still_save_at_the_interval():
    clock = AutosaveClock(debounce=2, interval=60)
    for second in range(0, 70):  # a change every second: never quiet
        clock.changed(float(second))
        assert clock.due(second + 0.5) == (second + 0.5 >= 60)


def test_interval_zero_turns_autosave_off():
    clock = AutosaveClock(debounce=2, interval=0)
    clock.changed(0.0)
    assert not clock.due(1e6)
