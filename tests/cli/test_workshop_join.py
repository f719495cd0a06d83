"""``mlops-tui join`` as attendees get it wrong: the wrong scheme, no CA file, a URL or password
copied with spaces, a mistyped password at the prompt, Ctrl-D (issue 9 §2 faults). Each message
says what is wrong and what to do; the errors come from the one transport-error mapping
(``services/httpclient.transport_failure``), so every command says the same."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from local_platform_support import has_sandbox

from .conftest import CLI, home_env, mlops
from .test_workshop import _self_signed, read_handout

pytestmark = pytest.mark.skipif(not has_sandbox(), reason="needs bubblewrap (apt-get install bubblewrap)")


@dataclass
class Workshops:
    plain: str  # http://127.0.0.1:PORT
    secure: str  # https://127.0.0.1:PORT
    cert: Path
    password: dict[str, str]  # "plain"/"secure" -> student01's password


@pytest.fixture(scope="module")
def workshops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workshops]:
    home = tmp_path_factory.mktemp("facilitator")
    cert, key = _self_signed(home)
    states = {"plain": home / "plain", "secure": home / "secure"}
    tls = ("--listen", "127.0.0.1:0", "--cert", str(cert), "--key", str(key))
    try:
        for kind, state in states.items():
            extra = tls if kind == "secure" else ()
            done = mlops(
                home, "workshop", "start", "--attendees", "1", *extra, "--state-dir", str(state), timeout=180
            )
            assert done.returncode == 0, done.stdout + done.stderr
        lines = {kind: read_handout(state / "handout.txt")["student01"] for kind, state in states.items()}
        yield Workshops(
            plain=lines["plain"][1].split()[2],
            secure=lines["secure"][1].split()[2],
            cert=cert,
            password={kind: line[0] for kind, line in lines.items()},
        )
    finally:
        for state in states.values():
            mlops(home, "workshop", "stop", "--state-dir", str(state), timeout=60)


def join(home: Path, url: str, password: str, *extra: str):  # type: ignore[no-untyped-def]
    return mlops(home, "join", url, "--user", "student01", "--password-stdin", *extra, stdin=password + "\n")


def one_line(done) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
    return done.stderr


def test_https_without_the_ca_file_says_to_pass_it(workshops: Workshops, tmp_path: Path) -> None:
    said = one_line(join(tmp_path, workshops.secure, workshops.password["secure"]))
    assert "answered, but its certificate is not trusted" in said and "--ca-file" in said
    assert "did not answer" not in said and "check the URL" not in said


def test_the_wrong_scheme_says_which_one_the_server_speaks(workshops: Workshops, tmp_path: Path) -> None:
    http_to_https = workshops.secure.replace("https://", "http://")
    said = one_line(join(tmp_path, http_to_https, workshops.password["secure"]))
    assert "speaks https, not plain http" in said and f"use {workshops.secure}" in said
    https_to_http = workshops.plain.replace("http://", "https://")
    said = one_line(join(tmp_path, https_to_http, workshops.password["plain"]))
    assert "speaks plain http, not https" in said and f"use {workshops.plain}" in said


@pytest.mark.parametrize(("head", "tail"), [("", " "), ("", "/ "), ("", "/"), ("HTTP", "")])
def test_a_url_copied_with_spaces_is_stored_clean(
    workshops: Workshops, tmp_path: Path, head: str, tail: str
) -> None:
    """Spaces and a trailing / from a copied handout; an upper-case scheme ("HTTP://…" was refused
    as "the URL starts with http:// or https://", which it did: schemes are case-insensitive)."""
    url = head + workshops.plain.removeprefix("http") if head else workshops.plain
    done = join(tmp_path, url + tail, "  " + workshops.password["plain"] + " ")
    assert done.returncode == 0, done.stderr
    profiles = (tmp_path / ".config" / "mlops-tui" / "profiles.toml").read_text()
    assert f'url = "{workshops.plain}"' in profiles


def test_a_url_with_a_space_inside_is_refused(tmp_path: Path) -> None:
    said = one_line(join(tmp_path, "http://127.0.0.1: 38151", "x"))
    assert "holds a space" in said
    assert not (tmp_path / ".config" / "mlops-tui" / "profiles.toml").exists()


def test_no_stored_password_on_a_workshop_profile_says_to_rerun_the_join_line(
    workshops: Workshops, tmp_path: Path
) -> None:
    saved = mlops(tmp_path, "join", workshops.plain, "--user", "student01", stdin="")
    assert saved.returncode == 0, saved.stderr
    said = one_line(mlops(tmp_path, "status"))
    assert f"run the join line of your handout again (mlops-tui join {workshops.plain}" in said
    assert "platform add-user" not in said


def _interactive(home: Path, url: str, answers: list[bytes]) -> tuple[int, str]:
    """``mlops-tui join`` on a terminal of its own (a pty as its controlling terminal, as in an SSH
    session): each answer is typed after the password prompt appears."""
    leader, follower = pty.openpty()

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(follower, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [*CLI, "join", url, "--user", "student01"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=home_env(home),
        cwd=home,
        preexec_fn=controlling_terminal,
    )
    os.close(follower)
    seen, deadline = b"", time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
                if answers and seen.count(b"password of") > seen.count(b"\x00sent"):
                    os.write(leader, answers.pop(0))
                    seen += b"\x00sent"
            elif proc.poll() is not None:
                break
        return proc.wait(timeout=30), seen.replace(b"\x00sent", b"").decode(errors="replace")
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()


def test_a_mistyped_password_is_asked_again(workshops: Workshops, tmp_path: Path) -> None:
    code, text = _interactive(
        tmp_path, workshops.plain, [b"wrong-1\n", workshops.password["plain"].encode() + b"\n"]
    )
    assert code == 0, text
    assert text.count("password of student01") == 2 and "try again (1 of 3 tries)" in text
    assert "joined: student01" in text


def test_ctrl_d_at_the_prompt_ends_cleanly(workshops: Workshops, tmp_path: Path) -> None:
    code, text = _interactive(tmp_path, workshops.plain, [b"\x04"])
    assert code == 1, text
    assert (
        "no password given (the input ended)" in text and "EOFError" not in text and "Traceback" not in text
    )


def test_doctor_names_the_same_causes(workshops: Workshops, tmp_path: Path) -> None:
    """``mlops-tui doctor`` on a workshop profile: the wrong scheme, the missing CA file, then with
    it the platform's health is ok (it is checked trusting the profile's CA file). ``join`` refuses
    the first two before storing anything, so the profiles are written with ``profile add``."""

    def profile(url: str, *extra: str) -> None:
        added = mlops(tmp_path, "profile", "add", "ws", "--url", url, "--user", "student01", "--replace",
                      "--use", *extra)  # fmt: skip
        assert added.returncode == 0, added.stderr

    http_to_https = workshops.secure.replace("https://", "http://")
    refused = mlops(tmp_path, "join", http_to_https, "--user", "student01", stdin="")
    assert refused.returncode != 0 and "speaks https, not plain http" in refused.stderr
    profile(http_to_https)
    doctor = mlops(tmp_path, "doctor")
    assert "speaks https, not plain http" in doctor.stdout and "platform.log" not in doctor.stdout, (
        doctor.stdout
    )
    profile(workshops.secure)
    assert "its certificate is not trusted here" in mlops(tmp_path, "doctor").stdout
    args = ("--replace", "--ca-file", str(workshops.cert))
    saved = mlops(tmp_path, "join", workshops.secure, "--user", "student01", *args, stdin="")
    assert saved.returncode == 0
    doctor = mlops(tmp_path, "doctor")
    assert any(line.startswith("ok    health") for line in doctor.stdout.splitlines()), doctor.stdout


def test_a_url_that_is_not_the_platform_is_said_before_the_password(tmp_path: Path) -> None:
    """The tester's cases: another web server on the port answered "HTTP 404 — check the name" or
    ten lines of its HTML; a closed port was found only after the password was typed, and a join
    without a password saved the profile and made it active without looking. The URL is asked
    first (``GET /health``), and nothing is stored when it is not the platform."""
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        said = one_line(mlops(tmp_path, "join", url, "--user", "student01", stdin=""))
        assert f"{url} answers, but not as an mlops-tui platform (HTTP 404 at /api/mlops/v1/health)" in said
        assert "<" not in said and "check the URL on your handout" in said
    finally:
        server.shutdown()
    said = one_line(mlops(tmp_path, "join", "http://127.0.0.1:1", "--user", "student01", stdin=""))
    assert "did not answer" in said
    assert not (tmp_path / ".config" / "mlops-tui" / "profiles.toml").exists()
