"""The one date reader: words, numbers and ISO 8601 read the same in the guide, the form and the CLI.

"Today" is a fixed Thursday here (26 November 2026), so relative dates count from Thursday
6 June 2019: the Thursday of the first full week of June, the last month of the model's data.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mlops_tui.assistant.when import DATA_PERIOD, DEFAULT_WHEN, WhenError, read_when

TODAY = date(2026, 11, 26)  # a Thursday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 8am", datetime(2019, 6, 7, 8, 0)),
        ("tomorrow at 8am", datetime(2019, 6, 7, 8, 0)),
        ("tomorrow at 8", datetime(2019, 6, 7, 8, 0)),
        ("friday 5pm", datetime(2019, 6, 7, 17, 0)),
        ("next monday 8am", datetime(2019, 6, 10, 8, 0)),
        ("saturday 17:30", datetime(2019, 6, 8, 17, 30)),
        ("8am", datetime(2019, 6, 6, 8, 0)),
        ("tonight", datetime(2019, 6, 6, 20, 0)),
        ("in 3 days", datetime(2019, 6, 9, 9, 0)),
        ("15/03/2019 09:00", datetime(2019, 3, 15, 9, 0)),
        ("03/15/2019 9:00", datetime(2019, 3, 15, 9, 0)),  # 15 cannot be a month: month first
        ("04/03/2019 9:00", datetime(2019, 3, 4, 9, 0)),  # day first
        ("2019-02-05T09:00", datetime(2019, 2, 5, 9, 0)),
        ("2019-02-05 09:00", datetime(2019, 2, 5, 9, 0)),
        ("2019-04-10", datetime(2019, 4, 10, 9, 0)),
        ("wednesday 2019-04-10 6pm", datetime(2019, 4, 10, 18, 0)),
        ("march 15", datetime(2019, 3, 15, 9, 0)),  # the data's year, not next March
        ("feb 12 9am", datetime(2019, 2, 12, 9, 0)),
        ("weekday 9am february", datetime(2019, 2, 5, 9, 0)),  # the month's first Tuesday
        ("friday 5pm march", datetime(2019, 3, 1, 17, 0)),
        ("on saturday in march", datetime(2019, 3, 2, 9, 0)),
        ("weekend january", datetime(2019, 1, 5, 9, 0)),
        ("weekend", datetime(2019, 6, 8, 9, 0)),
        ("2019-07-04 10:00", datetime(2019, 7, 4, 10, 0)),
    ],
)
def test_dates_in_words_and_numbers(text: str, expected: datetime) -> None:
    assert read_when(text, today=TODAY).value == expected


def test_relative_dates_say_what_today_is() -> None:
    when = read_when("tomorrow 8am", today=TODAY)
    assert when.explain() == (
        "Fri 07 Jun 2019 08:00 (today = Thu 06 Jun 2019, inside the model's data (January-June 2019))"
    )
    assert read_when("15/03/2019 09:00", today=TODAY).notes == ()


def test_today_keeps_the_real_weekday() -> None:
    for offset in range(7):
        real = date(2026, 11, 23 + offset)  # Monday to Sunday
        stand_in = DATA_PERIOD.today(real)
        assert stand_in.weekday() == real.weekday() and stand_in in DATA_PERIOD


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2019-02-31T09:00", "February 2019 has no day 31"),
        ("31/02/2019", "February 2019 has no day 31"),
        ("31 february 2019", "February 2019 has no day 31"),
        ("feb 30", "February 2019 has no day 30"),
        ("2019-13-01", "there is no month 13"),
        ("25:00", "'25:00' is not a time of day"),
        ("13pm", "'13pm' is not a time of day"),
        ("2019-02-05 saturday", "05 Feb 2019 is a Tuesday, not a Saturday"),
        ("2019-02-05 march", "05 Feb 2019 is not in March"),
        ("saturday weekday", "is not a weekday"),
        ("next week", "names a week, not a day"),
        ("quarter past 2", "did not understand 'quarter past 2'"),
    ],
)
def test_impossible_dates_are_named(text: str, message: str) -> None:
    with pytest.raises(WhenError, match=message):
        read_when(text, today=TODAY)


def test_empty_text_takes_the_default_or_is_refused() -> None:
    assert read_when("", default=DEFAULT_WHEN).value == DEFAULT_WHEN
    with pytest.raises(WhenError, match="no date or time given"):
        read_when("  ")


def test_a_day_outside_the_data_is_read_with_a_note() -> None:
    when = read_when("2019-07-04 10:00", today=TODAY)
    assert when.notes == ("outside the model's data (January-June 2019): expect a rougher answer",)
