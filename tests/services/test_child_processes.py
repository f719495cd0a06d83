"""Every child process the project starts is kept off the terminal (issue 7 §3), read from the source.

A child that inherits the TUI's terminal as stdin steals keystrokes; as stdout/stderr it draws over
the screen (Textual draws on stderr). So each spawn in ``mlops_tui/``, ``screens/``, ``lab_scripts/``
and ``benchmarks/`` must name its stdin (the null device or a pipe of ours) and its stdout and stderr;
``subprocess.run`` must have a ``timeout`` (nothing outside waits without a deadline); a process that
outlives the call that started it (``Popen``, ``create_subprocess_exec``) must run in its own session,
away from the terminal's signals. (``pty.fork`` in benchmarks/startup.py gives the TUI under test a
fresh pseudo-terminal of its own, not ours.)
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("mlops_tui", "screens", "lab_scripts", "benchmarks")
RUNS = {"run", "call", "check_call", "check_output"}
STARTS = {"Popen", "create_subprocess_exec", "create_subprocess_shell"}
FORBIDDEN = {"system", "popen", "spawnl", "spawnle", "spawnlp", "spawnv", "spawnve", "spawnvp"}
OWN_STDIN = {"DEVNULL", "PIPE"}


def _spawns(path: Path) -> list[tuple[int, str, ast.Call]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        name = node.func.attr
        spawns = {"subprocess": RUNS | STARTS, "asyncio": STARTS, "os": FORBIDDEN}.get(owner_name, set())
        if name in spawns:
            found.append((node.lineno, name, node))
    return found


def _problems(name: str, call: ast.Call) -> list[str]:
    if name in FORBIDDEN:
        return [f"os.{name} gives the child our terminal; use subprocess with stdin=DEVNULL"]
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    captured = isinstance(kw.get("capture_output"), ast.Constant) and kw["capture_output"].value is True
    problems = []
    stdin = kw.get("stdin")
    if "input" not in kw and not (isinstance(stdin, ast.Attribute) and stdin.attr in OWN_STDIN):
        problems.append("stdin is not DEVNULL or a pipe of ours")
    for stream in ("stdout", "stderr"):
        if stream not in kw and not captured:
            problems.append(f"{stream} is inherited (the terminal)")
    if name in RUNS and "timeout" not in kw:
        problems.append("no timeout")
    if name in STARTS and not (
        isinstance(kw.get("start_new_session"), ast.Constant) and kw["start_new_session"].value is True
    ):
        problems.append("not in its own session (start_new_session=True)")
    return problems


def test_every_spawn_keeps_the_child_off_the_terminal() -> None:
    report = []
    count = 0
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            for line, name, call in _spawns(path):
                count += 1
                report += [f"{path.relative_to(ROOT)}:{line} {name}: {p}" for p in _problems(name, call)]
    assert count >= 10  # the audit did find the spawns (platform, jobs, Jupyter, plugins, benchmarks)
    assert report == []
