"""Counts for people: "1 attendee", never "1 attendees" (workshop tester)."""

from mlops_tui.services.units import counted


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert counted(1, "attendee") == "1 attendee"
    assert counted(0, "attendee") == "0 attendees"
    assert counted(40, "worker") == "40 workers"
    assert counted(2, "class", "classes") == "2 classes"
