"""``mlops-tui workshop …`` and ``mlops-tui join`` as a facilitator and attendees use them (issue 9
§1, §2, §7): each person in their own HOME (on a jump host: their own OS user), the facilitator's
platform reached over HTTP, loopback or HTTPS."""

from __future__ import annotations

import datetime
import ipaddress
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from local_platform_support import LocalPlatform, has_sandbox

from .conftest import home_env, mlops

pytestmark = pytest.mark.skipif(not has_sandbox(), reason="needs bubblewrap (apt-get install bubblewrap)")


@dataclass
class Class:
    home: Path
    state: Path
    handout: dict[str, tuple[str, str]]  # user -> (password, join command)

    def facilitator(self, *args: str, **kw: object):  # type: ignore[no-untyped-def]
        return mlops(self.home, *args, "--state-dir", str(self.state), **kw)  # type: ignore[arg-type]


def read_handout(path: Path) -> dict[str, tuple[str, str]]:
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("USER"))
    out = {}
    for line in lines[at + 1 :]:
        user, password, command = line.split(maxsplit=2)
        out[user] = (password, command)
    return out


def seed(state: Path, local_platform: LocalPlatform) -> None:
    """The default data set, copied from the session's platform (it takes seconds to generate)."""
    shutil.copytree(
        local_platform.state_dir / "cache" / "default-data",
        state / "cache" / "default-data",
        dirs_exist_ok=True,
    )


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform) -> Iterator[Class]:
    home = tmp_path_factory.mktemp("facilitator")
    state = home / "workshop"
    seed(state, local_platform)
    roster = home / "roster.csv"
    roster.write_text("user,name\nalice,Alice A\nbob,Bob B\ncarol,Carol C\n")
    done = mlops(home, "workshop", "start", "--roster", str(roster), "--state-dir", str(state), timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    yield Class(home, state, read_handout(state / "handout.txt"))
    done = mlops(home, "workshop", "stop", "--state-dir", str(state), timeout=60)
    # (it said "its deployments stop within 30 s": stop_platform stops them before it returns)
    assert done.returncode == 0 and "platform of" in done.stdout and "and its deployments" in done.stdout


def join(home: Path, klass: Class, user: str, password: str | None = None):  # type: ignore[no-untyped-def]
    url = klass.handout[user][1].split()[2]
    secret = klass.handout[user][0] if password is None else password
    return mlops(home, "join", url, "--user", user, "--password-stdin", stdin=secret + "\n")


def test_start_makes_the_accounts_and_a_handout_with_one_command_each(klass: Class) -> None:
    assert set(klass.handout) == {"alice", "bob", "carol"}
    for user, (password, command) in klass.handout.items():
        assert len(password) == 14 and command.startswith("mlops-tui join http://127.0.0.1:")
        assert command.endswith(f"--user {user}")
    assert (klass.state / "handout.txt").stat().st_mode & 0o077 == 0
    profiles = (klass.home / ".config" / "mlops-tui" / "profiles.toml").read_text()
    assert "[profiles.workshop]" in profiles and 'user = "facilitator"' in profiles


def test_steps_not_reached_read_not_started(klass: Class) -> None:
    """A step an attendee has not reached is "not started" in the table and in ``-o json`` (the
    Class screen's ·), never a work-in-progress marker such as "todo"."""
    table = klass.facilitator("workshop", "status")
    assert table.returncode == 0, table.stderr
    carol = next(line for line in table.stdout.splitlines() if line.split()[:1] == ["carol"])
    assert "login: not started" in carol
    status = klass.facilitator("workshop", "status", "-o", "json")
    assert status.returncode == 0, status.stderr
    steps = next(a["steps"] for a in json.loads(status.stdout)["attendees"] if a["user"] == "carol")
    assert {s["state"] for s in steps} == {"not started"}


def test_an_attendee_joins_runs_the_labs_and_the_facilitator_sees_it(klass: Class, tmp_path: Path) -> None:
    joined = join(tmp_path, klass, "alice")
    assert joined.returncode == 0, joined.stderr
    assert "joined: alice" in joined.stdout
    ran = mlops(tmp_path, "lab", "run", "--param", "rounds=5", timeout=300)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr
    assert "mlops-inference-server-alice" in ran.stdout and "predicted travel time" in ran.stdout
    status = klass.facilitator("workshop", "status", "-o", "json")
    assert status.returncode == 0, status.stderr
    view = json.loads(status.stdout)
    labs = {a["user"]: a["lab"] for a in view["attendees"]}
    assert labs == {"alice": 6, "bob": 1, "carol": 1}
    alice = next(m for m in view["members"] if m["user"] == "alice")
    assert alice["deployments"][0]["predictions"] >= 1 and alice["jobs"][0]["state"] == "finished"
    table = klass.facilitator("workshop", "status")
    assert table.returncode == 0, table.stderr
    rows = [line.split()[0] for line in table.stdout.splitlines()[3:] if line.strip()]
    assert rows[-1] == "alice" and "done" in table.stdout


def test_reset_password_ends_the_old_one(klass: Class, tmp_path: Path) -> None:
    old = klass.handout["bob"][0]
    reset = klass.facilitator("workshop", "reset-password", "bob")
    assert reset.returncode == 0, reset.stderr
    new = read_handout(klass.state / "handout.txt")["bob"][0]
    assert new != old and new in reset.stdout
    refused = join(tmp_path, klass, "bob", old)
    assert refused.returncode == 1 and "wrong user name, password or tenant" in refused.stderr
    assert join(tmp_path, klass, "bob", new).returncode == 0


def test_add_numbers_new_attendees_after_the_roster(klass: Class) -> None:
    added = klass.facilitator("workshop", "add", "--attendees", "2")
    assert added.returncode == 0, added.stderr
    handout = read_handout(klass.state / "handout.txt")
    assert {"student01", "student02"} <= set(handout) and "student01" in added.stdout
    again = klass.facilitator("workshop", "add", "alice")
    assert again.returncode == 0 and "already there: alice" in again.stdout


def test_broadcast_from_the_command_line(klass: Class, tmp_path: Path) -> None:
    """``workshop broadcast`` sets, shows and clears the message; ``workshop status`` shows it; an
    attendee who tries gets one clear line (the TUI side: tests/tui/test_class_screen.py)."""
    sent = klass.facilitator("workshop", "broadcast", "Lab 4 after the break")
    assert sent.returncode == 0 and "sent to every attendee's guide" in sent.stdout, sent.stderr
    shown = klass.facilitator("workshop", "broadcast")
    assert shown.returncode == 0 and "(facilitator at " in shown.stdout
    assert shown.stdout.rstrip().endswith("): Lab 4 after the break")
    assert "broadcast: Lab 4 after the break" in klass.facilitator("workshop", "status").stdout
    assert join(tmp_path, klass, "carol").returncode == 0
    refused = mlops(tmp_path, "workshop", "broadcast", "hello from carol")
    assert refused.returncode == 1 and "you (carol) are an attendee" in refused.stderr
    assert "Traceback" not in refused.stderr
    cleared = klass.facilitator("workshop", "broadcast", "--clear")
    assert cleared.returncode == 0 and "broadcast cleared" in cleared.stdout
    assert "no broadcast" in klass.facilitator("workshop", "broadcast").stdout


def test_a_bad_roster_names_the_line(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("user\nalice\n-bad id\n")
    done = mlops(tmp_path, "workshop", "start", "--roster", str(roster), "--state-dir", str(tmp_path / "ws"))
    assert done.returncode != 0 and "line 3" in done.stderr and "Traceback" not in done.stderr


def test_no_sandbox_no_shared_platform(tmp_path: Path) -> None:
    """Where bubblewrap is missing, shared mode and a second user are refused, saying what to install."""
    env_bwrap = {"MLOPS_TUI_BWRAP": ""}
    import subprocess
    import sys

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlops_tui.cli", *args],
            env={**home_env(tmp_path), **env_bwrap},
            capture_output=True,
            text=True,
            input=stdin,
            timeout=120,
            cwd=tmp_path,
        )

    start = run("workshop", "start", "--attendees", "2", "--state-dir", str(tmp_path / "ws"))
    assert start.returncode != 0 and "apt-get install bubblewrap" in start.stderr, start.stderr
    state = str(tmp_path / "own")
    first = run(
        "platform", "add-user", "--user", "me", "--password-stdin", "--state-dir", state, stdin="pw-me-1\n"
    )
    assert first.returncode == 0, first.stderr  # one user: their own platform, no sandbox needed
    second = run(
        "platform", "add-user", "--user", "you", "--password-stdin", "--state-dir", state, stdin="pw-2\n"
    )
    assert second.returncode != 0 and "bubblewrap" in second.stderr, second.stderr
    assert "unexpected error" not in second.stderr + start.stderr


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "workshop.pem", directory / "workshop.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_https_for_attendees_on_other_hosts(tmp_path: Path, local_platform: LocalPlatform) -> None:
    home, attendee = tmp_path / "f", tmp_path / "a"
    home.mkdir()
    attendee.mkdir()
    state = home / "ws"
    seed(state, local_platform)
    refused = mlops(
        home, "workshop", "start", "--attendees", "1", "--listen", "0.0.0.0:0", "--state-dir", str(state)
    )
    assert refused.returncode != 0 and "--cert" in refused.stderr  # no passwords in clear over a network
    cert, key = _self_signed(home)
    started = mlops(
        home,
        "workshop",
        "start",
        "--attendees",
        "1",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        str(cert),
        "--key",
        str(key),
        "--state-dir",
        str(state),
        timeout=180,
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        handout = read_handout(state / "handout.txt")
        password, command = handout["student01"]
        url = command.split()[2]
        assert url.startswith("https://127.0.0.1:") and command.endswith("--ca-file workshop.pem")
        untrusted = mlops(
            attendee, "join", url, "--user", "student01", "--password-stdin", stdin=password + "\n"
        )
        assert untrusted.returncode == 1 and "certificate" in untrusted.stderr.lower(), untrusted.stderr
        shutil.copy(cert, attendee / "workshop.pem")
        joined = mlops(
            attendee,
            "join",
            url,
            "--user",
            "student01",
            "--ca-file",
            "workshop.pem",
            "--password-stdin",
            stdin=password + "\n",
        )
        assert joined.returncode == 0, joined.stderr
        status = mlops(home, "workshop", "status", "--state-dir", str(state))
        assert status.returncode == 0 and "student01" in status.stdout, status.stderr
    finally:
        mlops(home, "workshop", "stop", "--state-dir", str(state), timeout=60)
