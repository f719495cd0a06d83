"""``mlops-tui workshop start|add`` refuse what they cannot do before they make anything, and a
start that fails part-way leaves a class the same command completes (issue 9 §1-2 faults).

Classes are made in-process with :func:`mlops_tui.platform.workshop.setup` (no platform needed,
about 1 s); only the tests about serving start one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from local_platform_support import has_sandbox

from mlops_tui.platform import workshop

from .conftest import mlops
from .test_workshop import _self_signed, read_handout

pytestmark = pytest.mark.skipif(not has_sandbox(), reason="needs bubblewrap (apt-get install bubblewrap)")


def users_of(state: Path) -> dict[str, str]:
    """user -> role, from the platform's database ({} when there is none)."""
    db = state / "platform.db"
    if not db.exists():
        return {}
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT name, role FROM users").fetchall())


def a_class(state: Path, *attendees: str) -> None:
    workshop.setup(state, tenant="K8sMLTenant", facilitator="facilitator", attendees=list(attendees))


def ws(home: Path, *args: str, timeout: float = 120):  # type: ignore[no-untyped-def]
    return mlops(home, "workshop", *args, "--state-dir", str(home / "ws"), timeout=timeout)


def refused(done, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "unexpected error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def test_an_attendee_is_never_made_the_facilitator(tmp_path: Path) -> None:
    a_class(tmp_path / "ws", "student01", "student02", "student03")
    before = users_of(tmp_path / "ws")
    refused(
        ws(tmp_path, "start", "--facilitator", "student03"),
        "student03 is an attendee",
        "leave --facilitator out",
    )
    refused(ws(tmp_path, "start", "--facilitator", "boss"), "this workshop's facilitator is facilitator")
    assert users_of(tmp_path / "ws") == before and before["student03"] == "attendee"
    with pytest.raises(workshop.WorkshopError, match="student03 is already an attendee"):
        workshop.setup(tmp_path / "ws", tenant="K8sMLTenant", facilitator="student03", attendees=[])
    settings = workshop.load(tmp_path / "ws")
    assert settings is not None and "student03" in settings.attendees
    refused(ws(tmp_path, "add", "facilitator"), "facilitator is the facilitator's id")


def test_add_is_all_or_nothing(tmp_path: Path) -> None:
    a_class(tmp_path / "ws", "alice")
    before = users_of(tmp_path / "ws")
    refused(ws(tmp_path, "add", "dana", "Dana"), "Dana would share the folders dana/ with dana")
    refused(ws(tmp_path, "add", "a.b", "a-b"), "a-b would share the folders a-b/ with a.b")
    refused(ws(tmp_path, "add", "bad id"), "bad id is refused as a user name")
    assert users_of(tmp_path / "ws") == before
    added = ws(tmp_path, "add", "dana", "a.b")
    assert added.returncode == 0, added.stderr
    handout = read_handout(tmp_path / "ws" / "handout.txt")
    assert set(handout) == {"alice", "dana", "a.b"}
    assert all(password != "(reset" for password, _ in handout.values())


def test_a_roster_that_fails_makes_nothing(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("user\nalice\nbob\nAlice\n")
    refused(ws(tmp_path, "start", "--roster", str(roster)), "line 4", "Alice would share", "alice (line 2")
    assert users_of(tmp_path / "ws") == {}
    assert not (tmp_path / "ws" / workshop.ACCOUNTS_FILE).exists()


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("start", "--attendees", "1", "--workers", "0"), "--workers"),
        (("start", "--attendees", "1", "--workers", "-1"), "--workers"),
        (("start", "--attendees", "1", "--workers", "999"), "--workers"),
        (("start", "--attendees", "1", "--max-deployments", "-1"), "--max-deployments"),
        (
            ("start", "--attendees", "1", "--max-deployments-per-attendee", "0"),
            "--max-deployments-per-attendee",
        ),
        (("start", "--attendees", "0"), "--attendees"),
        (("add", "--attendees", "-2"), "--attendees"),
        (("status", "--idle-minutes", "nan"), "--idle-minutes"),
        (("status", "--idle-minutes", "inf"), "--idle-minutes"),
        (("status", "--idle-minutes", "-1"), "--idle-minutes"),
        (("status", "--idle-minutes", "0"), "--idle-minutes"),
    ],
)
def test_bad_numbers_are_refused_before_anything(tmp_path: Path, args: tuple[str, ...], option: str) -> None:
    done = ws(tmp_path, *args)
    assert done.returncode == 2 and f"argument {option}:" in done.stderr, done.stderr
    assert "out of range: give" in done.stderr and "python -m mlops_tui.platform" not in done.stderr
    assert not (tmp_path / "ws").exists()


def test_per_attendee_cap_above_the_total_is_refused(tmp_path: Path) -> None:
    done = ws(
        tmp_path, "start", "--attendees", "1", "--max-deployments", "2", "--max-deployments-per-attendee", "3"
    )
    refused(done, "--max-deployments-per-attendee 3 is more than the 2")
    assert users_of(tmp_path / "ws") == {}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("start", "--attendees", "1", "--tenant", "bad/tenant"),
            "--tenant bad/tenant is refused as a tenant",
        ),
        (("start", "--attendees", "1", "--facilitator", "../x"), "--facilitator ../x is refused as a user"),
    ],
)
def test_bad_names_are_one_clear_line(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    refused(ws(tmp_path, *args), said)
    assert users_of(tmp_path / "ws") == {}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"name,email\n", "has a header line but no attendees"),
        (b"user\nalice\nfacilitator\n", "line 3: facilitator is the facilitator's id"),
        (b"user\nalice\nb\xe9b\n", "line 3: byte 0xe9 is not UTF-8 text: save the roster as CSV UTF-8"),
    ],
)
def test_rosters_refused_naming_the_line(tmp_path: Path, content: bytes, said: str) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)
    refused(ws(tmp_path, "start", "--roster", str(roster)), said)
    assert users_of(tmp_path / "ws") == {}


def test_roster_headers_and_encodings(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("name,email\nalice,a@example.org\nbob,b@example.org\n")
    assert workshop.read_roster(roster) == ["alice", "bob"]
    roster.write_text("Name,E-mail,User ID\nAlice A,a@example.org,alice\n")
    assert workshop.read_roster(roster) == ["alice"]
    roster.write_bytes("user\r\nalice\r\nbob\r\n".encode("utf-16"))  # Excel's "Unicode text"
    assert workshop.read_roster(roster) == ["alice", "bob"]


def test_numbered_attendees_skip_the_facilitator_and_make_a_class_of_n(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from mlops_tui.headless.workshop import _attendees

    args = SimpleNamespace(users=None, roster=None, attendees=3)
    users, _ = _attendees(args, (), "student02", class_of=True)
    assert len(users) == 3 and "student02" not in users
    users, fresh = _attendees(args, ("student01", "student03"), "facilitator", class_of=True)
    assert users == fresh == ["student04"]  # a class of 3: one more
    users, _ = _attendees(args, ("student01", "student02", "student03"), "facilitator", class_of=True)
    assert users == []
    users, _ = _attendees(args, ("student01",), "facilitator", class_of=False)
    assert users == ["student02", "student03", "student04"]  # add: 3 more


def test_a_facilitator_with_a_numbered_id_is_said_in_one_line(tmp_path: Path) -> None:
    """``--attendees 2 --facilitator student01`` numbered the attendees student02, student03 silently;
    the start says so in one line, and ``add`` says it of the new ones."""
    from mlops_tui.headless.workshop import facilitator_note

    try:
        done = ws(tmp_path, "start", "--attendees", "2", "--facilitator", "student01", timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "student01 is the facilitator: attendees are student02-student03\n" in done.stdout
        assert list(read_handout(tmp_path / "ws" / "handout.txt")) == ["student02", "student03"]
    finally:
        ws(tmp_path, "stop", timeout=60)
    added = ws(tmp_path, "add", "--attendees", "1")
    assert added.returncode == 0, added.stderr
    assert "student01 is the facilitator" not in added.stdout  # student04 skips no one
    assert facilitator_note("student01", ["student02"], new=True) == (
        "student01 is the facilitator: the new attendees are student02"
    )
    assert facilitator_note("facilitator", ["student01", "student02"]) is None
    assert facilitator_note("student01", ["student05"]) is None  # attendees 02-04 were there already


def test_cert_and_key_are_checked_before_anything(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    other_cert, _ = _self_signed(_mkdir(tmp_path / "other"))
    base = ("start", "--attendees", "2", "--listen", "0.0.0.0:8443", "--public-url", "https://jump:8443")
    refused(
        ws(tmp_path, *base, "--cert", "missing.pem", "--key", "missing.key"), "missing.pem: cannot read it"
    )
    refused(ws(tmp_path, *base, "--cert", str(key), "--key", str(cert)), "swap them")
    refused(
        ws(tmp_path, *base, "--cert", str(other_cert), "--key", str(key)),
        "does not belong to the certificate",
    )
    assert users_of(tmp_path / "ws") == {}


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def test_a_wildcard_address_needs_a_name_attendees_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_tui.headless import workshop as headless
    from mlops_tui.services.errors import InvalidInput

    monkeypatch.setattr(headless.socket, "getfqdn", lambda: "localhost")
    with pytest.raises(InvalidInput, match="add --public-url https://NAME:8443"):
        headless._remote_name_check("0.0.0.0", 8443, "")
    headless._remote_name_check("0.0.0.0", 8443, "https://jump.example.org:8443")


def test_an_https_class_restarts_as_it_was(tmp_path: Path) -> None:
    """After ``workshop stop``, a plain ``workshop start`` serves HTTPS on the same address and
    port with the same certificate: the handout's URL and --ca-file still agree."""
    cert, key = _self_signed(tmp_path)
    try:
        first = ws(
            tmp_path,
            "start",
            "--attendees",
            "1",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            str(cert),
            "--key",
            str(key),
            timeout=180,
        )
        assert first.returncode == 0, first.stdout + first.stderr
        url = read_handout(tmp_path / "ws" / "handout.txt")["student01"][1].split()[2]
        assert url.startswith("https://127.0.0.1:")
        assert ws(tmp_path, "stop", timeout=60).returncode == 0
        again = ws(tmp_path, "start", timeout=180)
        assert again.returncode == 0, again.stdout + again.stderr
        handout = read_handout(tmp_path / "ws" / "handout.txt")
        assert list(handout) == ["student01"]
        command = handout["student01"][1]
        assert command.split()[2] == url and command.endswith("--ca-file workshop.pem")
        status = ws(tmp_path, "status")
        assert status.returncode == 0 and "student01" in status.stdout, status.stderr
    finally:
        ws(tmp_path, "stop", timeout=60)


def test_a_port_in_use_is_refused_before_anything(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = ws(tmp_path, "start", "--attendees", "2", "--listen", f"127.0.0.1:{port}")
    refused(done, f"--listen 127.0.0.1:{port}: cannot listen there", "choose another HOST:PORT")
    assert users_of(tmp_path / "ws") == {}
    refused(
        ws(tmp_path, "start", "--attendees", "1", "--handout", str(tmp_path / "no" / "h.txt")), "--handout"
    )
    assert users_of(tmp_path / "ws") == {}


def test_a_start_that_fails_after_the_accounts_completes_on_retry(tmp_path: Path) -> None:
    """A start cut short after its accounts were made (as ``setup`` leaves them: the platform did
    not come up): the same command again makes the class it asked for, every password on the
    handout and the facilitator's in their credential store."""
    workshop.setup(
        tmp_path / "ws", tenant="K8sMLTenant", facilitator="facilitator", attendees=["student01", "student02"]
    )
    try:
        again = ws(tmp_path, "start", "--attendees", "2", timeout=180)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "a class of 2 numbered attendees: all there already" in again.stdout
        handout = read_handout(tmp_path / "ws" / "handout.txt")
        assert list(handout) == ["student01", "student02"]
        assert all(len(password) == 14 for password, _ in handout.values())
        assert "--ca-file" not in (tmp_path / "ws" / "handout.txt").read_text()
        status = ws(tmp_path, "status")  # the facilitator's password was stored: it logs in
        assert status.returncode == 0 and "2 attendees" in status.stdout, status.stderr
    finally:
        ws(tmp_path, "stop", timeout=60)


def test_commands_on_no_class_say_to_start_one(tmp_path: Path) -> None:
    refused(
        ws(tmp_path, "reset-password", "../x"), "holds no workshop: start one with mlops-tui workshop start"
    )
    refused(ws(tmp_path, "status"), "no profile workshop: start the class first")
    refused(
        mlops(tmp_path, "join", "http://127.0.0.1:1", "--user", "../bob", "--password-stdin", stdin="pw\n"),
        "--user ../bob is refused as a user name",
    )
    assert not (tmp_path / "ws").exists()


def test_a_class_made_before_the_address_was_stored_restarts_on_its_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    a_class(tmp_path / "ws", "student01")
    workshop.update(tmp_path / "ws", url=f"http://127.0.0.1:{port}")  # as an older version left it
    try:
        started = ws(tmp_path, "start", timeout=180)
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{port}" in started.stdout
    finally:
        ws(tmp_path, "stop", timeout=60)
    workshop.update(tmp_path / "ws", url=f"https://127.0.0.1:{port}", ca_file="/gone/workshop.pem", listen="")
    refused(ws(tmp_path, "start"), "pass --cert /gone/workshop.pem --key FILE again")


def test_deployment_urls_name_the_public_host_of_a_class_on_every_interface() -> None:
    """``--public-url`` changed only the handout: the deployments' URLs still said this host's own
    name (``getfqdn()``, here ``localhost``), which attendees on other hosts cannot reach. The
    platform is now told the public host and its deployment URLs use it."""
    from types import SimpleNamespace

    from mlops_tui.headless import workshop as headless
    from mlops_tui.platform.deployments import ServingPolicy, Supervisor

    serve = headless._Serve("0.0.0.0", 8443, "c.pem", "k.pem", "https://jump.example.org:8443")
    extra = serve.args(2)
    assert extra[extra.index("--public-host") + 1] == "jump.example.org"
    assert "--public-host" not in headless._Serve("127.0.0.1", 0, "", "", "").args(2)

    def host(listen: str, public: str) -> str:
        return Supervisor.public_host.fget(
            SimpleNamespace(host=listen, policy=ServingPolicy(public_host=public))
        )

    assert host("0.0.0.0", "jump.example.org") == "jump.example.org"
    assert host("127.0.0.1", "jump.example.org") == "127.0.0.1"  # loopback: the address itself


def test_a_start_interrupted_after_the_platform_came_up_is_named(tmp_path: Path) -> None:
    """Ctrl-C during ``workshop start``: the platform ran on, without the facilitator's profile or
    the handout, and ``workshop status`` said only "no profile workshop: start the class first"."""
    from mlops_tui.services.local import launcher

    a_class(tmp_path / "ws", "student01")
    url = launcher.ensure_platform(tmp_path / "ws", timeout=60)
    try:
        refused(ws(tmp_path, "status"), f"the workshop platform runs at {url}", "workshop start again")
    finally:
        launcher.stop_platform(tmp_path / "ws")


@pytest.mark.parametrize("user", ["NYCTaxi", "nyctaxi"])
def test_an_id_whose_folder_is_the_shared_data_is_refused(tmp_path: Path, user: str) -> None:
    """docs/workshop.md says so; the id NYCTaxi (folder data/nyctaxi/, next to the shared
    data/NYCTaxi/) was accepted: one folder on a case-insensitive file system."""
    with pytest.raises(workshop.WorkshopError, match=r"would be the tenant's shared data/NYCTaxi/"):
        a_class(tmp_path / "ws", "student01", user)
    assert users_of(tmp_path / "ws") == {}
