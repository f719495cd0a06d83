"""The guide's typed commands, parsed without any UI so every phrasing is unit-testable.

An empty line means "next": the fastest way through the labs is pressing ``enter``. Anything that
cannot be understood becomes a :class:`Command` with verb ``"unknown"`` and an ``error`` that says
what was not understood and suggests the closest command; nothing here raises.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from mlops_tui.assistant.rides import Ride, RideError, ZoneIndex, parse_ride

VERBS = (
    "help",
    "status",
    "next",
    "run",
    "back",
    "skip",
    "train",
    "logs",
    "predict",
    "show",
    "goto",
    "zones",
    "copy",
    "clear",
    "quit",
)

_ALIASES = {
    "": "next",
    "?": "help",
    "h": "help",
    "commands": "help",
    "st": "status",
    "s": "status",
    "steps": "status",
    "progress": "status",
    "n": "next",
    "go": "next",
    "continue": "next",
    "c": "next",
    "ok": "next",
    "y": "next",
    "yes": "next",
    "b": "back",
    "prev": "back",
    "previous": "back",
    "retrain": "train",
    "log": "logs",
    "l": "logs",
    "p": "predict",
    "score": "predict",
    "curl": "show",
    "kubectl": "show",
    "cmd": "show",
    "lab": "goto",
    "zone": "zones",
    "cls": "clear",
    "yank": "copy",
    "exit": "quit",
    "q": "quit",
}

HELP: tuple[tuple[str, str], ...] = (
    ("enter", "run the step marked ▶ (same as next)"),
    ("run <step>", "run a step by number, id or title"),
    ("back · skip · goto lab <n>", "move between steps and labs 1-5"),
    ("status", "every step, checked live on the platform"),
    ("train [rounds=N data=NAME]", "train again (on a data file of the repository) and follow the log"),
    ("logs [job]", "the last lines of a job's log"),
    ("predict <ride>", "e.g. predict from Midtown Center to Times Sq weekday 9am February 2.1 miles"),
    ("", "or predict pickup=161 dropoff=230 when=2019-02-05T09:00 distance=2.1"),
    ("zones <words>", "find taxi zones and their ids"),
    ("show curl · show commands", "the calls of the last step · how to do step ▶ by hand"),
    ("copy", "copy the newest command (OSC 52, works over SSH)"),
    ("clear · help · quit", "clear the conversation · this help · leave"),
)


@dataclass(frozen=True)
class Command:
    """One parsed line: ``verb`` is one of :data:`VERBS` or ``"unknown"``; ``error`` is set when it failed."""

    verb: str
    arg: str = ""
    lab: int | None = None
    ride: Ride | None = None
    params: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def _params(arg: str) -> tuple[dict[str, str], list[str]]:
    """``rounds=50 max_depth=4`` → ({"rounds": "50", "max-depth": "4"}, leftovers): train.py flags."""
    params: dict[str, str] = {}
    rest: list[str] = []
    for token in re.sub(r"\s*=\s*", "=", arg).split():
        key, sep, value = token.partition("=")
        if sep and key and value:
            params[key.lower().lstrip("-").replace("_", "-")] = value
        else:
            rest.append(token)
    return params, rest


def parse_command(text: str, zones: ZoneIndex | None = None) -> Command:
    """Parse one input line. ``zones`` is needed only to read a ride after ``predict``."""
    line = text.strip()
    head, _, arg = line.partition(" ")
    head, arg = head.lower(), arg.strip()
    if head.startswith(":"):  # k9s habit: ":train"
        head = head[1:]
    verb = _ALIASES.get(head, head)
    if verb in ("next", "run"):
        verb = "run" if arg else "next"
    if verb not in VERBS:
        close = difflib.get_close_matches(head, [*VERBS, *(a for a in _ALIASES if len(a) > 2)], n=1)
        hint = f" Did you mean '{_ALIASES.get(close[0], close[0])}'?" if close else ""
        return Command(
            "unknown", line, error=f"I did not understand '{line}'.{hint} Type help for the commands."
        )
    if head in ("curl", "kubectl", "cmd") and not arg:
        arg = "curl"
    match verb:
        case "goto":
            return _goto(arg)
        case "show":
            what = arg.lower() or "curl"
            what = {
                "cmd": "curl",
                "kubectl": "curl",
                "command": "curl",
                "all": "commands",
                "calls": "commands",
            }.get(what, what)
            if what not in ("curl", "commands"):
                return Command("show", arg, error=f"show what? 'show curl' or 'show commands', not '{arg}'")
            return Command("show", what)
        case "train":
            params, rest = _params(arg)
            if rest:
                return Command(
                    "train",
                    arg,
                    error=f"train takes key=value parameters (rounds=50), not '{' '.join(rest)}'",
                )
            return Command("train", arg, params=params)
        case "predict":
            return _predict(arg, zones)
        case "zones" if not arg:
            return Command("zones", error="zones needs a word to look for, e.g. 'zones midtown'")
        case "logs" if arg and not arg.isdigit():
            return Command("logs", arg, error=f"logs takes a job id (a number), not '{arg}'")
        case "back" | "skip" | "clear" | "status" | "quit" | "copy" if arg:
            return Command(verb, arg, error=f"'{verb}' takes no argument (got '{arg}')")
    return Command(verb, arg)


def _goto(arg: str) -> Command:
    m = re.fullmatch(r"(?:lab\s*)?(\d+)", arg.lower())
    if not m:
        return Command("goto", arg, error=f"goto needs a lab number 1-5, e.g. 'goto lab 3' (got '{arg}')")
    lab = int(m.group(1))
    if not 1 <= lab <= 5:
        return Command("goto", arg, error=f"there is no lab {lab}; the labs are 1-5")
    return Command("goto", arg, lab=lab)


def _predict(arg: str, zones: ZoneIndex | None) -> Command:
    if not arg:
        return Command("predict")  # the lab's example ride
    if zones is None:
        return Command("predict", arg, error="the taxi zone table is not loaded yet; try again in a moment")
    try:
        return Command("predict", arg, ride=parse_ride(arg, zones))
    except RideError as err:
        return Command("predict", arg, error="I could not read that ride: " + "; ".join(err.problems) + ".")


def match_step(arg: str, steps: Sequence[tuple[str, int, str]]) -> int:
    """The index of the step ``arg`` names among ``(id, lab, title)`` rows.

    Accepts the step id, its 1-based number, ``lab N`` (its first step) or words of its title.
    Raises :class:`LookupError` with a message listing what would have worked.
    """
    key = arg.strip().lower()
    if not key:
        raise LookupError("which step? give its number, id or title")
    if key.isdigit():
        n = int(key)
        if 1 <= n <= len(steps):
            return n - 1
        raise LookupError(f"there is no step {n}; the steps are 1-{len(steps)}")
    for i, (step_id, _lab, _title) in enumerate(steps):
        if step_id.lower() == key:
            return i
    m = re.fullmatch(r"lab\s*(\d+)", key)
    if m:
        for i, (_id, lab, _title) in enumerate(steps):
            if lab == int(m.group(1)):
                return i
        raise LookupError(f"there is no lab {m.group(1)}")
    words = key.split()
    hits = [
        i for i, (sid, _lab, title) in enumerate(steps) if all(w in f"{sid} {title}".lower() for w in words)
    ]
    if len(hits) == 1:
        return hits[0]
    if hits:
        names = ", ".join(steps[i][0] for i in hits)
        raise LookupError(f"'{arg}' matches several steps ({names}); say which")
    ids = ", ".join(s[0] for s in steps)
    raise LookupError(f"no step called '{arg}'; the steps are {ids}")
