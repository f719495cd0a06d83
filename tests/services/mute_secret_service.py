"""A private D-Bus session bus on which ``org.freedesktop.secrets`` is owned by a process that reads
every call and never answers (issue 7 §2: a Secret Service that hangs).

``MuteBus.start(tmp)`` runs ``dbus-daemon --session`` on a socket under ``tmp`` and the mute owner
(Python with jeepney, which keyring's SecretStorage depends on); ``env()`` is the environment a
client needs; ``stop()`` kills both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

OWNER = """
import sys
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

conn = open_dbus_connection(bus="SESSION")
reply = conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.secrets"), timeout=10)
print("owner", reply.body[0], flush=True)  # 1 = primary owner
while True:
    conn.receive()  # read the call, answer nothing
"""

needs_dbus = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None, reason="needs dbus-daemon (apt-get install dbus)"
)


class MuteBus:
    def __init__(self, address: str, daemon: subprocess.Popen[str], owner: subprocess.Popen[str]) -> None:
        self.address = address
        self.daemon = daemon
        self.owner = owner

    @classmethod
    def start(cls, tmp: Path) -> MuteBus:
        socket = tmp / "bus"
        address = f"unix:path={socket}"
        daemon = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", f"--address={address}", "--print-address=1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert daemon.stdout is not None
        printed = daemon.stdout.readline().strip()  # printed once it listens
        if not printed:
            daemon.kill()
            pytest.skip("dbus-daemon did not start")
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": printed}
        owner = subprocess.Popen(
            [sys.executable, "-c", OWNER],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert owner.stdout is not None
        line = owner.stdout.readline().strip()
        bus = cls(printed, daemon, owner)
        if line != "owner 1":
            bus.stop()
            raise AssertionError(f"the mute owner did not get org.freedesktop.secrets: {line!r}")
        return bus

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, "DBUS_SESSION_BUS_ADDRESS": self.address}

    def stop(self) -> None:
        for proc in (self.owner, self.daemon):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
