"""The guide's typed commands, parsed without any UI so every phrasing is unit-testable.

An empty line means "next": the fastest way through the labs is pressing ``enter``. People also
type questions: one that holds a ride ("how long from Penn Station to LaGuardia tomorrow at
8am?") is a ``predict``; "what is my token?", "where am I?", "what next?" have verbs of their
own (tests/assistant/test_phrasings.py holds the table of phrasings). Anything that cannot be
understood becomes a :class:`Command` with verb ``"unknown"`` and an ``error`` that names the two
closest commands with an example each; nothing here raises.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from mlops_tui.assistant.rides import Ride, RideError, ZoneIndex, parse_ride
from mlops_tui.lab_scripts import params as training_params

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
    "token",
    "url",
    "where",
    "explain",
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
    "auth": "token",
    "tokens": "token",
    "urls": "url",
    "endpoint": "url",
    "endpoints": "url",
    "address": "url",
    "whereami": "where",
    "why": "explain",
    "explain": "explain",
}

# Questions and phrases, after lower-casing and dropping punctuation (tests/assistant/test_phrasings.py).
_PHRASES: dict[str, str] = {
    "where am i": "where",
    "where are we": "where",
    "who am i": "where",
    "what next": "explain",
    "what now": "explain",
    "whats next": "explain",
    "what is next": "explain",
    "what do i do": "explain",
    "what do i do now": "explain",
    "what should i do": "explain",
    "what should i do next": "explain",
    "now what": "explain",
    "what is this step": "explain",
    "what does this step do": "explain",
    "how do i do this by hand": "show commands",
    "show me the command": "show curl",
    "show me the commands": "show commands",
    "what is the command": "show curl",
    "how far am i": "status",
    "what is done": "status",
    "whats done": "status",
    "am i done": "status",
    "what can i type": "help",
    "what can i do": "help",
    "how does this work": "help",
}
# Words of a question that carry no meaning here ("what is my token" → "token").
_QUESTION_WORDS = {
    "what",
    "whats",
    "is",
    "are",
    "my",
    "the",
    "a",
    "me",
    "show",
    "tell",
    "give",
    "please",
    "where",
    "which",
    "can",
    "i",
    "get",
    "see",
    "of",
    "for",
    "our",
    "your",
    "it",
    "do",
    "does",
    "how",
}
_RIDE_QUESTION = re.compile(
    r"^(?:how\s+(?:long|many\s+minutes|much\s+time)|what(?:'s|\s+is)?\s+the\s+(?:travel\s+)?time|"
    r"travel\s+time|eta|time|duration|estimate)\b(?:\s+(?:is\s+it|does\s+it\s+take|would\s+it\s+take|"
    r"will\s+it\s+take|to\s+get))*\s*",
    re.IGNORECASE,
)

#: An example of each verb, for suggestions.
EXAMPLES = {
    "help": "help",
    "status": "status",
    "next": "enter (or next)",
    "run": "run train",
    "back": "back",
    "skip": "skip",
    "train": "train rounds=100",
    "logs": "logs",
    "predict": "predict from Penn Station to LaGuardia tomorrow 8am",
    "show": "show curl",
    "goto": "goto lab 4",
    "zones": "zones midtown",
    "copy": "copy",
    "clear": "clear",
    "quit": "quit",
    "token": "token",
    "url": "url",
    "where": "where am i",
    "explain": "what next",
}

HELP: tuple[tuple[str, str], ...] = (
    ("enter", "run the step marked ▶ (same as next)"),
    ("run <step>", "run a step by number, id or title"),
    ("back · skip · goto lab <n>", "move between steps and labs 1-5"),
    ("status", "every step, checked live on the platform"),
    ("train [rounds=N data=NAME]", "train again (on a data file of the repository) and follow the log"),
    ("logs [job]", "the last lines of a job's log"),
    ("predict <ride>", "e.g. predict from Penn Station to LaGuardia tomorrow 8am (or ask: how long from …?)"),
    ("", "or predict pickup=161 dropoff=230 when=2019-02-05T09:00 distance=2.1"),
    ("zones <words>", "find taxi zones and their ids"),
    ("show curl · show commands", "the calls of the last step · how to do step ▶ by hand"),
    ("copy", "copy the newest command (OSC 52, works over SSH)"),
    ("token · url", "your deployment's auth token (copied, not shown) · the URLs in use"),
    ("where am i", "who and where you are: platform, tenant, user, step"),
    ("what next (or explain)", "what the step ▶ does, without running it"),
    ("clear · help · quit", "clear the conversation · this help · leave"),
)


@dataclass(frozen=True)
class Command:
    """One parsed line: ``verb`` is one of :data:`VERBS` or ``"unknown"``; ``error`` is set when it failed."""

    verb: str
    arg: str = ""
    lab: int | None = None
    ride: Ride | None = None
    params: dict[str, int | float | str] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def _params(arg: str) -> tuple[dict[str, str], list[str]]:
    """``rounds=50 max_depth=4`` → ({"rounds": "50", "max-depth": "4"}, leftovers): train.py flags
    as typed (checked by the caller)."""
    params: dict[str, str] = {}
    rest: list[str] = []
    for token in re.sub(r"\s*=\s*", "=", arg).split():
        key, sep, value = token.partition("=")
        if sep and key and value:
            params[key.lower().lstrip("-").replace("_", "-")] = value
        else:
            rest.append(token)
    return params, rest


def _words(line: str) -> str:
    """Lower case, punctuation dropped: ``What's my token?`` → ``whats my token``."""
    return " ".join(re.sub(r"[^\w\s=.:/-]", "", line.lower().replace("'", "")).split())


def may_hold_a_ride(line: str) -> bool:
    """Whether a line being typed may become a ride: a ride verb (``predict``, ``p``, ``score``) with
    something after it, or ``from``/``to`` anywhere (``how long from A to B …``). The guide warms up
    the date reader then, and not before (dateparser stays loaded once imported: issue 9)."""
    head, _, rest = line.strip().partition(" ")
    if _ALIASES.get(head.lower().lstrip(":"), head.lower().lstrip(":")) == "predict" and rest:
        return True
    return re.search(r"(?:from|to)\s", line.lower()) is not None


def _ride_question(line: str) -> str | None:
    """The ride of a question that holds one ("how long from A to B tomorrow 8am?"), or None."""
    text = line.strip().rstrip("?!. ")
    low = text.lower()
    start = re.search(r"\bfrom\b", low)
    if start and re.search(r"\bto\b", low[start.end() :]):
        return text[start.start() :]
    asked = _RIDE_QUESTION.match(text)
    if asked and asked.end() and re.search(r"\bto\b", low[asked.end() :]):
        return text[asked.end() :]
    return None


def _understood(line: str) -> str | None:
    """A phrase or question as the command it means (``what is my token`` → ``token``)."""
    words = _words(line)
    if words in _PHRASES:
        return _PHRASES[words]
    kept = [w for w in words.split() if w not in _QUESTION_WORDS]
    meant = {_ALIASES.get(w, w) for w in kept}
    if len(meant) == 1 and kept != words.split():
        word = meant.pop()
        if word in VERBS:
            return word
    return None


def _suggest(line: str) -> str:
    """``I did not understand 'x'. Did you mean 'status' or 'show' (e.g. show curl)?``: an example
    for a command that takes words after it (a bare command is its own example)."""
    head = line.split()[0].lower() if line.split() else line
    scored: dict[str, float] = {}
    for word in [*VERBS, *(a for a in _ALIASES if len(a) > 2)]:
        verb = _ALIASES.get(word, word)
        ratio = difflib.SequenceMatcher(None, head, word).ratio()
        scored[verb] = max(scored.get(verb, 0.0), ratio)
    best = sorted(scored, key=lambda v: -scored[v])[:2]
    options = " or ".join(f"'{v}'" + (f" (e.g. {EXAMPLES[v]})" if EXAMPLES[v] != v else "") for v in best)
    return f"I did not understand '{line}'. Did you mean {options}? Type help for all commands."


def parse_command(text: str, zones: ZoneIndex | None = None, *, today: date | None = None) -> Command:
    """Parse one input line. ``zones`` is needed only to read a ride; ``today`` is the real date
    relative ride dates count from."""
    line = text.strip()
    head, _, arg = line.partition(" ")
    head, arg = head.lower(), arg.strip()
    if head.startswith(":"):  # k9s habit: ":train"
        head = head[1:]
    verb = _ALIASES.get(head, head)
    if verb not in VERBS or (verb == "where" and arg):
        meant = _understood(line)
        ride = _ride_question(line) if meant is None else None
        if ride is None and meant is None and re.search(r"\bto\b", line.lower()) and zones is not None:
            bare = _predict(line, zones, today)  # "penn station to laguardia": a ride, if it reads as one
            if bare.ok:
                return bare
        if ride is not None:
            return _predict(ride, zones, today)
        if meant is None:
            return Command("unknown", line, error=_suggest(line))
        head, _, arg = meant.partition(" ")
        verb = _ALIASES.get(head, head)
    meant = _PHRASES.get(_words(line)) or (
        u if (u := _understood(line)) in ("token", "url", "where") else None
    )
    if verb == "show" and arg and meant:  # "show me the token", "show me the command"
        head, _, arg = meant.partition(" ")  # "show me the token"
        verb = _ALIASES.get(head, head)
    if verb in ("next", "run"):
        verb = "run" if arg else "next"
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
            data = params.pop("data", None)  # the job's data file, not a train.py parameter
            try:  # the Train dialog's rules (lab_scripts.params): refused here, not in a failed job
                checked: dict[str, int | float | str] = training_params.check_all(params)
            except training_params.ParamError as exc:
                example = (
                    training_params.describe(names=(exc.name,)) if exc.name in training_params.BY_NAME else ""
                )
                also = f"; e.g. train {example}" if example else ""
                return Command("train", arg, error=f"Not submitted: {exc}{also}.")
            if data is not None:  # read with the data-name rule when the job is made (lab_training)
                checked["data"] = data
            return Command("train", arg, params=checked)
        case "predict":
            return _predict(arg, zones, today)
        case "zones" if not arg:
            return Command("zones", error="zones needs a word to look for, e.g. 'zones midtown'")
        case "logs" if arg and not arg.isdigit():
            return Command("logs", arg, error=f"logs takes a job id (a number), not '{arg}'")
        case "run" if "--replace" in arg.split():  # run upload --replace: the lab's code over yours
            step = " ".join(w for w in arg.split() if w != "--replace")
            if step.lower() not in ("upload", "upload the training code"):
                return Command(
                    "run", arg, error="--replace goes with run upload only (the lab's code over yours)"
                )
            return Command("run", step, params={"replace": 1})
        case "back" | "skip" | "clear" | "status" | "quit" | "copy" | "token" | "url" | "explain" if arg:
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


def _predict(arg: str, zones: ZoneIndex | None, today: date | None = None) -> Command:
    if not arg:
        return Command("predict")  # the lab's example ride
    if zones is None:
        return Command("predict", arg, error="the taxi zone table is not loaded yet; try again in a moment")
    try:
        return Command("predict", arg, ride=parse_ride(arg, zones, today=today))
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
