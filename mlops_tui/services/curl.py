"""Render an HTTP request as the curl command a person can paste into bash (or zsh).

Secrets (password, session, auth token) appear as shell variables (``$MLOPS_SESSION``) in the
command shown on screen and in logs; :meth:`Curl.render` with ``reveal=True`` puts the real values
in, for the one place a person asks for a command that runs as is (the Lab 5 prediction).

Why every rendered command does the same request as the app, for any value (quotes, backslashes,
``$``, backticks, ``!``, spaces, non-ASCII):

- a literal word is quoted with :func:`shlex.quote` (single quotes: the shell expands nothing in
  them, not even history ``!``);
- a word holding a masked secret is its literal parts single-quoted next to ``"${VAR}"`` (one
  expansion, no word splitting, no globbing), e.g. ``'X-Auth-Token: '"${AUTH_TOKEN}"``; the
  shorter ``"X-Auth-Token: ${AUTH_TOKEN}"`` is used when the literal parts hold none of
  ``\\ " $ ` !``;
- a JSON body holding a masked secret cannot be one shell word: the shell would paste the raw
  value into the JSON, which breaks on ``"`` and ``\\`` (issue 7, part 6). Such a body is built
  by a JSON encoder from the variable and piped to ``curl --data-binary @-``: ``jq -nc --arg``
  when jq is on PATH, else a ``python3`` one-liner (``json.dumps`` of ``sys.argv``). Why this
  order: ``docs/shell-commands.md``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from mlops_tui.services.proxy import curl_would_proxy

JsonTool = Literal["jq", "python3"]
JSON_TOOL_ENV = "MLOPS_TUI_JSON_TOOL"

# Marks where a masked secret sits in the JSON text (made longer until no literal holds it).
_MARK = "@@MLOPS_SECRET"
# Characters that keep their meaning inside double quotes (``!`` in interactive bash).
_DQ_SPECIAL = re.compile(r'[\\"$`!]')
_PY_BUILD = "import json,sys; print(sys.argv[1] % tuple(map(json.dumps, sys.argv[2:])))"
# The Location header of the login's 201 is the session (Ezmeral protocol): keep just its value.
_LOCATION = "awk 'tolower($1)==\"location:\" {print $2}' | tr -d '\\r'"


@dataclass(frozen=True)
class Secret:
    """A value shown as ``"${var}"`` unless revealed (and known)."""

    var: str
    value: str | None = field(default=None, repr=False)


Part = str | Secret


def json_tool() -> JsonTool:
    """The JSON encoder printed commands use for bodies with masked secrets: ``$MLOPS_TUI_JSON_TOOL``
    (``jq`` or ``python3``) when set, else ``jq`` when it is on PATH here (where the command is
    printed, and so most likely pasted), else ``python3``."""
    chosen = os.environ.get(JSON_TOOL_ENV, "").strip().lower()
    if chosen in ("jq", "python3"):
        return "jq" if chosen == "jq" else "python3"
    return "jq" if shutil.which("jq") else "python3"


def read_secret(var: str, what: str) -> str:
    """A bash line asking for a secret without echo into ``var`` (``IFS= read -rsp``: backslashes
    and leading or trailing spaces kept). Put it last in a block a person pastes: ``read`` would
    take the block's next line as the secret."""
    prompt = " ".join(f"{what} (not shown):".split()) + " "  # one line, whatever ``what`` holds
    return f"IFS= read -rsp {shlex.quote(prompt)} {var}; echo"


def _python() -> str:
    """``python3`` when on PATH, else the interpreter running mlops-tui (certainly installed)."""
    return "python3" if shutil.which("python3") else shlex.quote(sys.executable)


@dataclass(frozen=True)
class Curl:
    """One request. ``url`` and header values are sequences of parts so secrets can sit inside them;
    ``json_body`` may hold :class:`Secret` values anywhere. ``flags`` are literal curl options put
    first (``-k``, ``--cacert PATH``, ``--location``)."""

    method: str
    url: tuple[Part, ...]
    headers: tuple[tuple[str, tuple[Part, ...]], ...] = ()
    json_body: Any = None
    data_file: str | None = None  # shown as --data-binary @file
    output: str | None = None  # -o file
    stream: bool = False  # -N: print as it arrives
    capture: str | None = None  # shell variable the command assigns (login's session)
    flags: tuple[str, ...] = ()

    def render(self, *, reveal: bool = False, tool: JsonTool | None = None) -> str:
        """The command line. ``reveal`` puts known secret values in; ``tool`` picks the JSON
        encoder of a body with masked secrets (default :func:`json_tool`)."""
        args: list[str] = ["curl", *(shlex.quote(f) for f in self.flags)]
        literal_url = "".join(p for p in self.url if isinstance(p, str))
        if curl_would_proxy(literal_url):
            args += ["--noproxy", shlex.quote("*")]
        if self.capture:
            # -f: a refused login says so on stderr instead of leaving the variable silently empty.
            args += ["-fsS", "-o", "/dev/null", "-D", "-"]
        else:
            args.append("-sS")
        if self.stream:
            args.append("-N")
        if self.method != "GET" or self.capture:
            args += ["-X", self.method]
        args.append(_word(self.url, reveal))
        for name, value in self.headers:
            args += ["-H", _word((f"{name}: ", *value), reveal)]
        producer = ""
        if self.json_body is not None:
            args += ["-H", shlex.quote("Content-Type: application/json")]
            text, secrets, marks = _json_text(self.json_body, reveal)
            if secrets:
                producer = _json_producer(text, secrets, marks, tool or json_tool())
                args += ["--data-binary", "@-"]
            else:
                args += ["-d", shlex.quote(text)]
        if self.data_file:
            args += ["--data-binary", shlex.quote("@" + self.data_file)]
        if self.output:
            args += ["-o", shlex.quote(self.output)]
        command = " ".join(args)
        if producer:
            command = f"{producer} | {command}"
        if self.capture:
            return f"{self.capture}=$({command} | {_LOCATION})"
        return command


def _json_text(body: Any, reveal: bool) -> tuple[str, list[Secret], re.Pattern[str]]:
    """The body as JSON; each masked secret is a marker string ``"<mark>_<n>"`` (secrets returned
    in order, with the pattern finding the markers). The mark is one no literal contains."""
    secrets: list[Secret] = []

    def swap(value: Any, mark: str | None) -> Any:
        if isinstance(value, Secret):
            if reveal and value.value is not None:
                return value.value
            if mark is None:
                return None
            secrets.append(value)
            return f"{mark}_{len(secrets) - 1}"
        if isinstance(value, dict):
            return {k: swap(v, mark) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [swap(v, mark) for v in value]
        return value

    literals = json.dumps(swap(body, None))
    mark = _MARK
    while mark in literals:
        mark += "@"
    text = json.dumps(swap(body, mark))
    return text, secrets, re.compile('"' + re.escape(mark) + r'_(\d+)"')


def _json_producer(text: str, secrets: list[Secret], marks: re.Pattern[str], tool: JsonTool) -> str:
    """A command printing ``text`` with each placeholder replaced by its secret JSON-encoded.

    jq: the JSON text is the jq program (JSON is jq syntax; every ``\\`` of a JSON string is
    escaped, so jq's ``\\(...)`` interpolation cannot occur) with ``$var`` at each secret, bound by
    ``--arg``, which jq encodes. python3: the JSON text is a ``%`` template (literal ``%`` doubled)
    and ``json.dumps`` encodes each argument.
    """
    if tool == "jq":
        names: dict[str, str] = {}
        for s in secrets:
            names.setdefault(s.var, s.var.lower())
        program = marks.sub(lambda m: "$" + names[secrets[int(m.group(1))].var], text)
        binds = " ".join(f'--arg {jv} "${{{var}}}"' for var, jv in names.items())
        return f"jq -nc {binds} {shlex.quote(program)}"
    template = marks.sub("%s", text.replace("%", "%%"))
    values = " ".join(f'"${{{s.var}}}"' for s in secrets)
    return f"{_python()} -c {shlex.quote(_PY_BUILD)} {shlex.quote(template)} {values}"


def _word(parts: tuple[Part, ...], reveal: bool) -> str:
    """One shell word from literal text and secrets (see the module docstring for the rules)."""
    pieces: list[Part] = []
    for p in parts:
        if isinstance(p, Secret) and reveal and p.value is not None:
            p = p.value
        if isinstance(p, str) and pieces and isinstance(pieces[-1], str):
            pieces[-1] += p
        elif p != "":
            pieces.append(p)
    if not any(isinstance(p, Secret) for p in pieces):
        return shlex.quote("".join(p for p in pieces if isinstance(p, str)))
    literal = "".join(p for p in pieces if isinstance(p, str))
    if not _DQ_SPECIAL.search(literal):
        return '"' + "".join(p if isinstance(p, str) else "${" + p.var + "}" for p in pieces) + '"'
    return "".join(shlex.quote(p) if isinstance(p, str) else '"${' + p.var + '}"' for p in pieces)
