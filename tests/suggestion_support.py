"""The guide's did-you-mean message read back: which commands it suggests, with which examples
(tests/assistant, tests/tui)."""

from __future__ import annotations

import re

from mlops_tui.assistant.commands import EXAMPLES


def suggestions(error: str) -> list[tuple[str, str | None]]:
    """The commands a did-you-mean message suggests, each with its example or None."""
    tail = error.split("Did you mean ", 1)[1].removesuffix("? Type help for all commands.")
    out: list[tuple[str, str | None]] = []
    for part in re.split(r" or (?=')", tail):
        verb, _, rest = part.removeprefix("'").partition("'")
        example = rest.removeprefix(" (e.g. ")[:-1] if rest else None
        out.append((verb, example))
    return out


def assert_two_suggestions_with_examples(error: str) -> None:
    """Two commands, each with its example where it takes words after it (a bare command is its
    own example: "'status' (e.g. status)" said nothing)."""
    suggested = suggestions(error)
    assert len(suggested) == 2, error
    for verb, example in suggested:
        assert example == (EXAMPLES[verb] if EXAMPLES[verb] != verb else None), error
