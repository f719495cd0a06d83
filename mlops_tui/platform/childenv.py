"""The environment of the long-lived processes the platform starts: what they need, no secrets.

Prediction servers used to inherit the platform's whole environment: the user's cloud keys, the
SSH agent's socket, the D-Bus address of the keyring, proxy credentials, whatever the shell that
started the platform held. A server runs registered user code and a notebook runs anything, so
they get only the entries below, plus the ones made for them (such as ``JUPYTER_TOKEN``: a secret
a child needs goes in an entry of its own or a private file, never on the command line, which
every local user can read with ``ps``). Training jobs already get a minimal environment of their
own (``training.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: Entries passed through when the platform has them: where programs are, language and time
#: zone, the interpreter's own path (needed to import mlops_tui when it is not installed).
PASSED = ("PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM", "SHELL", "USER", "LOGNAME", "PYTHONPATH")
PASSED_PREFIXES = ("LC_",)


def child_environment(extra: Mapping[str, str], source: Mapping[str, str] | None = None) -> dict[str, str]:
    """``PASSED`` entries of ``source`` (the platform's environment), then ``extra`` on top."""
    source = os.environ if source is None else source
    env = {k: v for k, v in source.items() if k in PASSED or k.startswith(PASSED_PREFIXES)}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    env.update(extra)
    return env
