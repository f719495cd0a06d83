"""A malformed proxy value for a remote profile: ``status`` and ``doctor`` say one clear line naming
the variable and what is wrong with its value (they said "unexpected error: ExceptionGroup…",
"InvalidURL", "ValueError: Invalid IPv6 URL", or for ``ftp://`` that the proxy "does not answer").

Real ``mlops-tui`` runs in a fresh HOME with a kubernetes (Ezmeral) profile; nothing is reached:
the value is refused before any connection.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import CLI, home_env

GATEWAY = "https://gw.example.invalid:8080"
CASES = {
    "http://127.0.0.1:99999": "its port 99999 is not a number from 1 to 65535",
    "http://127.0.0.1:abc": "its port abc is not a number from 1 to 65535",
    "http://[::1": "its IPv6 address has no closing ']'",
    "socks5://127.0.0.1:-1": "its port -1 is not a number from 1 to 65535",
    "ftp://127.0.0.1:21": "httpx cannot speak the ftp proxy protocol (only http, https, socks5 and socks5h)",
}


@pytest.fixture(scope="module")
def remote_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("proxy-values")
    add = [
        "profile",
        "add",
        "ez",
        "--platform",
        "kubernetes",
        "--url",
        GATEWAY,
        "--tenant",
        "T",
        "--user",
        "u",
    ]
    assert _run(home, {}, *add).returncode == 0
    store = "from mlops_tui import credentials; credentials.store_password('ez', 'u', 'pw')"
    subprocess.run([CLI[0], "-c", store], env=_env(home, {}), check=True, timeout=60)
    return home


def _env(home: Path, proxies: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in home_env(home).items() if "proxy" not in k.lower()}
    return {**env, "MLOPS_TUI_CREDENTIALS": "file", **proxies}


def _run(home: Path, proxies: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=_env(home, proxies), capture_output=True, text=True, timeout=60, cwd=home
    )


@pytest.mark.parametrize(("value", "said"), CASES.items(), ids=CASES.keys())
def test_status_and_doctor_name_the_variable_and_its_fault(remote_home: Path, value: str, said: str) -> None:
    status = _run(remote_home, {"https_proxy": value}, "--profile", "ez", "status")
    assert status.returncode == 1, status
    line = f"mlops-tui: https_proxy={value}: {said}"
    assert [x for x in status.stderr.splitlines() if x.startswith("mlops-tui:")] == [
        next(x for x in status.stderr.splitlines() if x.startswith(line))
    ], status.stderr
    assert "or unset https_proxy" in status.stderr and "unexpected" not in status.stderr

    doctor = _run(remote_home, {"https_proxy": value}, "--profile", "ez", "doctor")
    assert doctor.returncode == 11, doctor  # the gateway proxy check
    failed = [x for x in doctor.stdout.splitlines() if x.startswith("FAIL")]
    assert len(failed) == 1 and "gateway proxy" in failed[0], doctor.stdout
    assert f"https_proxy={value}: {said}" in failed[0] and "or unset https_proxy" in failed[0]
    assert "unexpected" not in doctor.stdout + doctor.stderr and "does not answer" not in failed[0]
