"""Render an HTTP request as the curl command a person can paste into a shell.

Secrets (password, session, auth token) appear as shell variables (``$MLOPS_SESSION``) in the
command shown on screen and in logs; :meth:`Curl.render` with ``reveal=True`` puts the real values
in, for the one place a person needs a command that runs as is (the Lab 5 prediction).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

_PLACEHOLDER = "@@MLOPS_SECRET_{}@@"
_PLACEHOLDER_RE = re.compile(r"@@MLOPS_SECRET_(\d+)@@")


@dataclass(frozen=True)
class Secret:
    """A value shown as ``$<var>`` unless revealed."""

    var: str
    value: str | None = field(default=None, repr=False)


Part = str | Secret


@dataclass(frozen=True)
class Curl:
    """One request. ``url`` and header values are sequences of parts so secrets can sit inside them;
    ``json_body`` may hold :class:`Secret` values anywhere."""

    method: str
    url: tuple[Part, ...]
    headers: tuple[tuple[str, tuple[Part, ...]], ...] = ()
    json_body: Any = None
    data_file: str | None = None  # shown as --data-binary @file
    output: str | None = None  # -o file
    stream: bool = False  # -N: print as it arrives
    capture: str | None = None  # shell variable the command assigns (login's session)

    def render(self, *, reveal: bool = False) -> str:
        args: list[str] = ["curl", "-sS"]
        if self.stream:
            args.append("-N")
        if self.method != "GET" or self.capture:
            args += ["-X", self.method]
        args.append(_word(self.url, reveal))
        for name, value in self.headers:
            args += ["-H", _word((f"{name}: ", *value), reveal)]
        if self.json_body is not None:
            args += ["-H", "'Content-Type: application/json'"]
            secrets: list[Secret] = []
            text = json.dumps(_swap_secrets(self.json_body, secrets))
            parts: list[Part] = []
            pos = 0
            for m in _PLACEHOLDER_RE.finditer(text):
                parts.append(text[pos : m.start()])
                parts.append(secrets[int(m.group(1))])
                pos = m.end()
            parts.append(text[pos:])
            args += ["-d", _word(tuple(parts), reveal, json_escape=True)]
        if self.data_file:
            args += ["--data-binary", shlex.quote("@" + self.data_file)]
        if self.output:
            args += ["-o", shlex.quote(self.output)]
        if self.capture:
            # The session is the Location header of the 201 (Ezmeral protocol): keep just that.
            args[1:2] = ["-sS", "-o", "/dev/null", "-D", "-"]
            return (
                f"{self.capture}=$({' '.join(args)} | awk 'tolower($1)==\"location:\" {{print $2}}' "
                "| tr -d '\\r')"
            )
        return " ".join(args)


def _swap_secrets(value: Any, secrets: list[Secret]) -> Any:
    if isinstance(value, Secret):
        secrets.append(value)
        return _PLACEHOLDER.format(len(secrets) - 1)
    if isinstance(value, dict):
        return {k: _swap_secrets(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_swap_secrets(v, secrets) for v in value]
    return value


def _word(parts: tuple[Part, ...], reveal: bool, *, json_escape: bool = False) -> str:
    """One shell word: single-quoted when literal, double-quoted with ``$VAR`` inside otherwise."""
    if reveal or not any(isinstance(p, Secret) for p in parts):
        text = ""
        for p in parts:
            if isinstance(p, Secret):
                value = p.value if p.value is not None else f"${p.var}"
                text += json.dumps(value)[1:-1] if json_escape else value
            else:
                text += p
        return shlex.quote(text)
    out = '"'
    for p in parts:
        if isinstance(p, Secret):
            out += "${" + p.var + "}"
        else:
            out += re.sub(r'([\\"$`])', r"\\\1", p)
    return out + '"'
