"""One reader for a ride's pickup date and time, typed by a person: numbers or words.

The Predict form's date field, the guide (``predict from Penn Station to LaGuardia tomorrow 8am``,
``when=…``) and ``mlops-tui predict --when`` all read dates here, so one text means one time
everywhere:

- ISO 8601 (``2019-02-05T09:00``) and numbers (``15/03/2019 09:00``: day first, as most of the
  world writes it; ``03/15/2019`` is read month first because 15 cannot be a month);
- words, read by dateparser (a maintained library; see docs/dates.md for why this one and what it
  costs): ``tomorrow 8am``, ``friday 5pm``, ``next monday``, ``in 3 days``, ``march 15 9:30``;
- ``weekday`` / ``weekend`` and a month without a day (``weekday 9am february``), which no library
  reads: the first such day of that month (an ordinary weekday is a Tuesday).

**Relative dates count from a day inside the model's data.** The model learnt from rides of
January-June 2019 (``DATA_PERIOD``), and its features are the weekday, the hour and the month. So
"today" is taken to be the day of the period with today's weekday, in the first full week of the
period's last month (for a Thursday: Thu 6 Jun 2019); ``tomorrow`` is then a Friday, as it is for
the person, and a few weeks either way stay inside the data. :attr:`When.notes` says so, and the
guide, the form and the CLI show it before the ride is sent.

An impossible date is refused in words (``2019-02-31`` → "February 2019 has no day 31"), so is a
time of day that does not exist (``25:00``); :class:`WhenError` names the text. Pure: no I/O, no
Textual. dateparser is imported on first use (about 40 ms, and 80 ms for its first parse), and
only then: it and what it loads hold about 8 MB for as long as the process lives, which an idle
workshop attendee's TUI must not pay for a date it never reads in words (issue 9's footprint). The
guide and the Predict form warm it up in a thread when a date in words is about to be typed
(:func:`warm_up`, :func:`is_warm`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

#: The workshop's ride: a weekday (Tuesday 5 February 2019) at 9 am.
DEFAULT_WHEN = datetime(2019, 2, 5, 9, 0)
DEFAULT_HOUR = 9
ORDINARY_WEEKDAY = 1  # Tuesday: what "a weekday" of a month means when no day is named


@dataclass(frozen=True)
class DataPeriod:
    """The dates the model's training rides span (first and last day, inclusive)."""

    first: date
    last: date

    def __str__(self) -> str:
        if self.first.year == self.last.year:
            return f"{self.first:%B}-{self.last:%B %Y}"
        return f"{self.first:%B %Y} to {self.last:%B %Y}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def today(self, real_today: date) -> date:
        """The day inside the period that stands for ``real_today``: same weekday, first full
        week of the period's last month."""
        first_of_month = self.last.replace(day=1)
        monday = first_of_month + timedelta(days=(7 - first_of_month.weekday()) % 7)
        return monday + timedelta(days=real_today.weekday())


#: The workshop's training data: the TLC yellow-cab rides of January-June 2019 (and the synthetic
#: set generated in their layout).
DATA_PERIOD = DataPeriod(date(2019, 1, 1), date(2019, 6, 30))


class WhenError(ValueError):
    """The text is not a date and time that exists; the message says which part and why."""


@dataclass(frozen=True)
class When:
    """A date and time as understood, with ``notes`` on how (what was assumed, what "today" is)."""

    value: datetime
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """``Fri 07 Jun 2019 08:00``."""
        return self.value.strftime("%a %d %b %Y %H:%M")

    def explain(self) -> str:
        """``Fri 07 Jun 2019 08:00 (tomorrow: …)``: what is shown before a ride is sent."""
        return self.describe() + (f" ({'; '.join(self.notes)})" if self.notes else "")

    def iso(self) -> str:
        return self.value.isoformat(timespec="seconds")


_KINDS = {"weekday": "weekday", "weekdays": "weekday", "workday": "weekday", "weekend": "weekend"}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_DAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_DAYS.update({name.lower(): i for i, name in enumerate(calendar.day_abbr)})
_DAYS.update({"tues": 1, "thur": 3, "thurs": 3, "weds": 2})
_RELATIVE = {
    "today",
    "tomorrow",
    "yesterday",
    "tonight",
    "next",
    "last",
    "this",
    "ago",
    "in",
    "morning",
    "afternoon",
    "evening",
    "night",
}
_FILLERS = {"on", "at", "in", "of", "the", "a", "an"}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b(?!\s*(?:am|pm|a\.m|p\.m))")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_AMPM = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b\.?")
_DAY_NUMBER = r"(\d{1,2})(?:st|nd|rd|th)?"
_MONTH_NAME = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_DAY_MONTH = re.compile(rf"(?<![:\d.])\b{_DAY_NUMBER}\s+(?:of\s+)?{_MONTH_NAME}(?:,?\s+(\d{{4}}))?", re.I)
_MONTH_DAY = re.compile(rf"\b{_MONTH_NAME}\s+{_DAY_NUMBER}\b(?!\s*(?::|[ap]\.?m))(?:,?\s+(\d{{4}}))?", re.I)
_AT_HOUR = re.compile(r"\bat\s+(\d{1,2})\b(?!\s*(?::|[./]|[ap]\.?m))")


def read_when(
    text: str, *, today: date | None = None, period: DataPeriod = DATA_PERIOD, default: datetime | None = None
) -> When:
    """The date and time ``text`` names. ``today`` is the real date (the app's clock; relative
    words count from its stand-in inside ``period``); ``default`` is used for an empty text
    (else :class:`WhenError`). Raises :class:`WhenError` naming what cannot be read."""
    raw = " ".join(text.strip().rstrip("?!.").split())
    if not raw:
        if default is None:
            raise WhenError("no date or time given (e.g. tomorrow 8am, friday 5pm or 2019-02-05 09:00)")
        notes = (
            (f"no day or time given: the workshop's, {default:%a %d %B %Y %H:%M}",)
            if default == DEFAULT_WHEN
            else ()
        )
        return When(default, notes)
    low = raw.lower()
    _refuse_impossible(low, period)
    iso = _iso(raw)
    if iso is not None:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", raw):  # a day without a time
            return _checked(When(iso.replace(hour=DEFAULT_HOUR), (f"{DEFAULT_HOUR}:00 assumed",)), period)
        return _checked(When(iso), period)
    real_today = today or date.today()
    words = low.replace(",", " ").split()
    kind = next((_KINDS[w] for w in words if w in _KINDS), None)
    words = [w for w in words if w not in _KINDS]
    month_only = _month_without_day(words)
    if month_only is not None:
        return _checked(_in_month(month_only, words, kind, period), period)
    if not words or all(w in _FILLERS for w in words):  # "weekday", "weekend"
        if kind is None:
            raise WhenError(f"'{raw}' is not a date and time (e.g. tomorrow 8am, friday 5pm)")
        return _checked(_kind_only(kind, real_today, period), period)
    return _checked(_words(" ".join(words), kind, real_today, period), period)


# -- the parts -------------------------------------------------------------------------------


def _iso(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if _ISO_DATE.match(text) else text)
    except ValueError:
        return None
    if value.tzinfo is not None:  # the model works in New York local time, like the TLC data
        from zoneinfo import ZoneInfo

        value = value.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
    return value


def _refuse_impossible(low: str, period: DataPeriod) -> None:
    """Dates and times that do not exist, said in words (a library only says "cannot parse")."""
    for match in _CLOCK.finditer(low):
        hour, minute = int(match.group(1)), int(match.group(2))
        ampm = re.match(r"\s*[ap]\.?m", low[match.end() :])
        if minute > 59 or hour > 23 or (ampm and not 1 <= hour <= 12):
            raise WhenError(f"'{match.group(0)}' is not a time of day (hours 0-23, minutes 0-59)")
    for match in _AMPM.finditer(low):
        if not 1 <= int(match.group(1)) <= 12:
            raise WhenError(f"'{match.group(0)}' is not a time of day (1-12 am or pm)")
    for match in _ISO_DATE.finditer(low):
        _real_day(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    for match in _NUMERIC_DATE.finditer(low):
        first, second = int(match.group(1)), int(match.group(2))
        year = _year(match.group(3), period)
        day, month = (second, first) if second > 12 >= first else (first, second)  # day first
        _real_day(year, month, day)
    for match in _DAY_MONTH.finditer(low):
        _real_day(_year(match.group(3), period), _MONTHS[match.group(2).lower()], int(match.group(1)))
    for match in _MONTH_DAY.finditer(low):
        _real_day(_year(match.group(3), period), _MONTHS[match.group(1).lower()], int(match.group(2)))


def _year(text: str | None, period: DataPeriod) -> int:
    if not text:
        return period.last.year
    year = int(text)
    return year + 2000 if year < 100 else year


def _real_day(year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise WhenError(f"there is no month {month} (months are 1-12)")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise WhenError(f"{calendar.month_name[month]} {year} has no day {day}")
    return date(year, month, day)


def _month_without_day(words: list[str]) -> int | None:
    """The month of ``february`` or ``9am february``: a month name and no day number next to it."""
    text = " ".join(words)
    if (
        _DAY_MONTH.search(text)
        or _MONTH_DAY.search(text)
        or _NUMERIC_DATE.search(text)
        or _ISO_DATE.search(text)
    ):
        return None
    months = [_MONTHS[w.rstrip(".")] for w in words if w.rstrip(".") in _MONTHS]
    return months[0] if len(months) == 1 else None


def _in_month(month: int, words: list[str], kind: str | None, period: DataPeriod) -> When:
    """The first day of ``month`` that is the named weekday, else of the kind (weekday: a Tuesday)."""
    rest = [w for w in words if w.rstrip(".") not in _MONTHS]
    named = [_DAYS[w] for w in rest if w in _DAYS]
    rest = [w for w in rest if w not in _DAYS]
    notes: list[str] = []
    if named:
        wanted, what = named[0], calendar.day_name[named[0]]
        if kind == "weekend" and wanted < 5:
            raise WhenError(f"{what} is not at a weekend")
        if kind == "weekday" and wanted >= 5:
            raise WhenError(f"{what} is not a weekday")
    elif kind == "weekend":
        wanted, what = 5, "Saturday"
    else:
        wanted, what = ORDINARY_WEEKDAY, "Tuesday"
        notes.append("a weekday: the month's first Tuesday")
    day = date(period.last.year, month, 1)
    while day.weekday() != wanted:
        day += timedelta(days=1)
    hour, minute, time_notes = _time_of(rest, day)
    return When(datetime(day.year, day.month, day.day, hour, minute), tuple(notes + time_notes))


def _kind_only(kind: str | None, real_today: date, period: DataPeriod) -> When:
    """``weekday`` or ``weekend`` alone: "today" if it is one, else the next such day."""
    day = period.today(real_today)
    while (day.weekday() >= 5) != (kind == "weekend"):
        day += timedelta(days=1)
    return When(
        datetime(day.year, day.month, day.day, DEFAULT_HOUR),
        (_today_note(period, real_today), f"{DEFAULT_HOUR}:00 assumed"),
    )


def _time_of(words: list[str], day: date) -> tuple[int, int, list[str]]:
    """The time of day the leftover ``words`` name (9:00 when none)."""
    words = list(words)
    while words and words[0] in _FILLERS:
        words.pop(0)
    while words and words[-1] in _FILLERS:
        words.pop()
    text = " ".join(words)
    if not text:
        return DEFAULT_HOUR, 0, [f"{DEFAULT_HOUR}:00 assumed"]
    base = datetime(day.year, day.month, day.day)
    found = _parse(_hours(text), base)
    if found is None or found[1] not in ("time", "part_of_day") or found[0].date() != day:
        raise WhenError(f"did not understand '{text}' as a time of day (write e.g. 9am or 17:30)")
    return found[0].hour, found[0].minute, []


def _words(text: str, kind: str | None, real_today: date, period: DataPeriod) -> When:
    """Words and numbers read by dateparser, relative to "today" inside the period."""
    iso = _ISO_DATE.search(text)
    if iso is not None:  # "wednesday 2019-04-10 6pm": the day is given; the rest must fit it
        day = _real_day(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        _agrees(text, datetime(day.year, day.month, day.day))
        rest = [
            w
            for w in (text[: iso.start()] + " " + text[iso.end() :]).split()
            if w not in _DAYS and w not in _MONTHS
        ]
        hour, minute, notes = _time_of(rest, day)
        return When(datetime(day.year, day.month, day.day, hour, minute), tuple(notes))
    today = period.today(real_today)
    base = datetime(today.year, today.month, today.day)
    found = _parse(_hours(text), base)
    if found is None:
        raise WhenError(f"did not understand '{text}' as a date and time (e.g. tomorrow 8am, friday 5pm)")
    value, granularity = found
    if granularity in ("week", "month", "year"):
        raise WhenError(f"'{text}' names a {granularity}, not a day (e.g. tomorrow 8am, friday 5pm)")
    notes: list[str] = []
    if not re.search(r"\b\d{4}\b", text) and value.year != period.last.year:
        try:  # "15 march": the data's year, not the next March
            value = value.replace(year=period.last.year)
        except ValueError:  # 29 February
            raise WhenError(f"February {period.last.year} has no day 29") from None
    if _is_relative(text, value, base):
        notes.append(_today_note(period, real_today))
    if granularity == "day":
        value = value.replace(hour=DEFAULT_HOUR, minute=0)
        notes.append(f"{DEFAULT_HOUR}:00 assumed")
    _agrees(text, value)
    day_words = set(re.findall(r"[a-z]+", text)) & (
        {"today", "tomorrow", "yesterday", "ago", "in"} | set(_DAYS)
    )
    if kind is not None and not day_words and not _explicit_date(text):  # "weekend 11pm"
        while (value.weekday() >= 5) != (kind == "weekend"):
            value += timedelta(days=1)
    if kind == "weekend" and value.weekday() < 5:
        raise WhenError(f"{value:%a %d %b %Y} is not at a weekend")
    if kind == "weekday" and value.weekday() >= 5:
        raise WhenError(f"{value:%a %d %b %Y} is not a weekday")
    return When(value, tuple(notes))


def _agrees(text: str, value: datetime) -> None:
    """A named weekday or month must fit an explicit date given with it (``2019-02-05 saturday``)."""
    if not _explicit_date(text):
        return
    words = set(re.findall(r"[a-z]+", text))
    for word in words & set(_DAYS):
        if _DAYS[word] != value.weekday():
            raise WhenError(f"{value:%d %b %Y} is a {value:%A}, not a {calendar.day_name[_DAYS[word]]}")
    for word in words & set(_MONTHS):
        if _MONTHS[word] != value.month:
            raise WhenError(f"{value:%d %b %Y} is not in {calendar.month_name[_MONTHS[word]]}")


def _hours(text: str) -> str:
    """``at 8`` as ``at 8:00``: dateparser would read a lone number as a day of the month."""
    return _AT_HOUR.sub(lambda m: f"at {m.group(1)}:00", text)


def _explicit_date(text: str) -> bool:
    return bool(
        _ISO_DATE.search(text)
        or _NUMERIC_DATE.search(text)
        or _DAY_MONTH.search(text)
        or _MONTH_DAY.search(text)
    )


def _is_relative(text: str, value: datetime, base: datetime) -> bool:
    if _explicit_date(text):
        return False
    return bool(set(re.findall(r"[a-z]+", text)) & (_RELATIVE | set(_DAYS))) or value.date() == base.date()


def _today_note(period: DataPeriod, real_today: date) -> str:
    day = period.today(real_today)
    return f"today = {day:%a %d %b %Y}, inside the model's data ({period})"


def _checked(when: When, period: DataPeriod) -> When:
    """A note when the day lies outside the data (the model never saw that month)."""
    if when.value.date() in period:
        return when
    return When(when.value, (*when.notes, f"outside the model's data ({period}): expect a rougher answer"))


# -- dateparser ------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _parser(base: datetime) -> Any:
    from dateparser.date import DateDataParser

    settings = {
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_TIME_AS_PERIOD": True,
    }
    return DateDataParser(languages=["en"], settings=settings)


def _parse(text: str, base: datetime) -> tuple[datetime, str] | None:
    data = _parser(base).get_date_data(text)
    if data.date_obj is None:
        return None
    return data.date_obj.replace(tzinfo=None), data.period or "day"


def warm_up() -> None:
    """Import dateparser and read one date, so the first real one is quick (call it in a thread)."""
    read_when("tomorrow 8am", today=date(2019, 6, 6))


def is_warm() -> bool:
    """Whether dateparser is loaded (by :func:`warm_up` or a date already read in words)."""
    return _parser.cache_info().currsize > 0
