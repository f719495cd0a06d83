"""The training parameters of `train.py`: one definition of each one's type, range and default.

`train.py` builds its command line from `PARAMS`, and everything that asks a person for a
parameter checks it with `check` before a job is submitted: the Train dialog, the guide's
`train rounds=N`, `mlops-tui lab run --param NAME=VALUE` and the local platform's job API. So a
value is refused once, with the same words everywhere, instead of failing inside a job 20 s
later. Names are the flags without `--` (`rounds`, `max-depth`); `max_depth` and `--max-depth`
are read as the same name. ``period`` (train.py's one text option, the months the data must
cover) is checked here too, for its form.

The ranges are what the training script accepted before this module existed: `rounds` and
`early-stopping` up to 10 000 (early stopping ends a run sooner; long runs are how jobs are made
to last in tests), `max-depth` up to 20 (XGBoost allows more, but deeper trees on 20 000 rides
only overfit), a learning rate (XGBoost's `eta`) in (0, 1], a test share in (0, 0.9).

Standard library only: this module is shipped to the training cluster with the rest of the
package and imported by the app, which must not pay for numpy to check a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One training parameter: `name` is the flag without `--`; `low`/`high` bound it (inclusive
    unless `low_open`/`high_open`)."""

    name: str
    kind: type  # int or float
    default: int | float
    low: int | float
    high: int | float
    label: str
    help: str
    low_open: bool = False
    high_open: bool = False

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def rule(self) -> str:
        """What a value must be, in words: "a whole number from 1 to 10000"."""
        what = "a whole number" if self.kind is int else "a number"
        if self.low_open and self.high_open:
            return f"{what} between {_fmt(self.low)} and {_fmt(self.high)} (both excluded)"
        if self.low_open:
            return f"{what} greater than {_fmt(self.low)} and at most {_fmt(self.high)}"
        if self.high_open:
            return f"{what} from {_fmt(self.low)} to below {_fmt(self.high)}"
        return f"{what} from {_fmt(self.low)} to {_fmt(self.high)}"

    def inside(self, value: int | float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


PARAMS: tuple[Param, ...] = (
    Param(
        "rounds",
        int,
        300,
        1,
        10_000,
        "Boosting rounds",
        "the most boosting rounds; early stopping usually ends sooner",
    ),
    Param("max-depth", int, 6, 1, 20, "Max tree depth", "how deep each tree may grow"),
    Param(
        "learning-rate",
        float,
        0.15,
        0,
        1,
        "Learning rate",
        "XGBoost's eta: how much each tree corrects",
        low_open=True,
    ),
    Param(
        "early-stopping",
        int,
        20,
        0,
        10_000,
        "Early stopping",
        "stop after this many rounds without improvement; 0 = off",
    ),
    Param(
        "test-size",
        float,
        0.2,
        0,
        0.9,
        "Test share",
        "share of rides held out for the test set",
        low_open=True,
        high_open=True,
    ),
    Param("seed", int, 0, 0, 2**31 - 1, "Seed", "seed of the train/test split and the subsampling"),
)
BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}

#: The parameters a person is offered first (the Train dialog's fields, the guide's retry hint).
MAIN = ("rounds", "max-depth", "learning-rate")


#: train.py's one text option, ``--period`` (tlc.py): the months the data must cover, YYYY-MM or
#: YYYY-MM..YYYY-MM (docs/data.md). Checked here for its form so that a typo is refused before a job
#: is submitted, like the numbers; the job reads it again with ``tlc.parse_period``.
PERIOD = "period"
PERIOD_RULE = "a month YYYY-MM or a range YYYY-MM..YYYY-MM"
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")

#: Every name ``check`` knows: the numbers of PARAMS, then ``period``.
NAMES: tuple[str, ...] = (*BY_NAME, PERIOD)


class ParamError(ValueError):
    """A parameter that is unknown or out of its range; `name` names it, `problem` says what it
    must be (the dialog shows it under the field)."""

    def __init__(self, name: str, problem: str, message: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(message)


def canonical(name: str) -> str:
    """`max_depth`, `--Max-Depth` -> `max-depth` (the flag's spelling)."""
    return str(name).strip().lower().lstrip("-").replace("_", "-")


def check(name: str, value: Any) -> int | float | str:
    """`value` (text or a number) as the parameter's type; ParamError when unknown or out of range.
    ``period`` stays text (``2019-01..2019-06``), checked for its form."""
    key = canonical(name)
    if key == PERIOD:
        return _period(value)
    param = BY_NAME.get(key)
    if param is None:
        known = ", ".join(NAMES)
        raise ParamError(key, f"one of {known}", f"there is no training parameter '{name}' (known: {known})")
    number = _number(param, value)
    if number is None or not param.inside(number):
        shown = value if isinstance(value, str) else _fmt(value)
        raise ParamError(key, param.rule, f"{key} must be {param.rule}, not '{shown}'")
    return number


def check_all(values: Mapping[str, Any]) -> dict[str, int | float | str]:
    """Every parameter checked, names canonical; raises the first ParamError."""
    return {canonical(name): check(name, value) for name, value in values.items()}


def problems(values: Mapping[str, Any]) -> tuple[dict[str, int | float | str], dict[str, ParamError]]:
    """(the good values, {name: ParamError} for every bad one): a form shows all its problems at once."""
    good: dict[str, int | float | str] = {}
    bad: dict[str, ParamError] = {}
    for name, value in values.items():
        try:
            good[canonical(name)] = check(name, value)
        except ParamError as exc:
            bad[exc.name] = exc
    return good, bad


KEY = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")  # a job parameter's name: it becomes a --flag
KEY_RULE = "must be lower-case letters, digits, '_' or '-', starting with a letter"
JOB_FIELDS = ("data", "output")  # a job's own fields: never passed as a parameter


def check_job_params(entrypoint: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A job's ``params`` as a platform must take them (the local platform's job API and the
    Kubernetes adapter, where each becomes ``--name value`` on the training command line).

    Every name matches `KEY` and is not a job field (``--data`` given twice would train on other
    data than the job shows); every value is text or a number; for the workshop's ``train``
    entrypoint the known parameters are checked with `check` (converted to their type), so a bad
    value is refused before submission, not 20 s into the job. Raises `ParamError` whose ``name``
    is the field ``params.<name>``."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        field = f"params.{key}"
        if key in JOB_FIELDS:
            raise ParamError(
                field,
                "a job field",
                f"{field}: {key} is not a training parameter; give it as the job's own '{key}' field",
            )
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise ParamError(field, KEY_RULE, f"{field}: {KEY_RULE}")
        if isinstance(value, bool) or not isinstance(value, str | int | float) or "\x00" in str(value):
            raise ParamError(field, "text or a number", f"{field} must be a string or a number")
        if entrypoint == "train" and canonical(key) in NAMES:
            try:
                value = check(key, value)
            except ParamError as exc:
                raise ParamError(field, exc.problem, f"params.{exc}") from None
        out[key] = value
    return out


def defaults() -> dict[str, int | float]:
    return {p.name: p.default for p in PARAMS}


def describe(values: Mapping[str, Any] | None = None, names: tuple[str, ...] = MAIN) -> str:
    """`rounds=300 max-depth=6 learning-rate=0.15`: the values a job runs with (defaults filled in)."""
    chosen = {**defaults(), **{canonical(k): v for k, v in (values or {}).items()}}
    shown = [*names, *(k for k in chosen if k not in names and k in (values or {}))]
    return " ".join(f"{k}={_fmt(chosen[k])}" for k in shown)


def _number(param: Param, value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if param.kind is int else float(text)
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if param.kind is int:
        if isinstance(value, float) and not value.is_integer():
            return None
        return int(value)
    return float(value)


def _period(value: Any) -> str:
    text = str(value).strip()
    first, sep, last = text.partition("..")
    start = _MONTH.fullmatch(first.strip())
    end = _MONTH.fullmatch(last.strip()) if sep else start
    if start is None or end is None:
        raise ParamError(PERIOD, PERIOD_RULE, f"{PERIOD} must be {PERIOD_RULE}, not '{text}'")
    if end.groups() < start.groups():  # (year, month) as zero-padded text compare as numbers
        raise ParamError(PERIOD, PERIOD_RULE, f"{PERIOD} '{text}' ends before it starts")
    return text


def _fmt(value: int | float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() and not isinstance(value, bool) else f"{value:g}"
