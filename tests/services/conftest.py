"""The service tests use the shared real platform (``local_platform`` in tests/conftest.py) with
two known users in two tenants."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TENANT = "K8sMLTenant"
OTHER_TENANT = "OtherTenant"


@dataclass
class Server:
    url: str
    state_dir: Path
    users: dict[str, tuple[str, str]]  # user -> (tenant, password)


@pytest.fixture(scope="session")
def platform_server(local_platform: Any) -> Server:
    users = {"alice": (TENANT, "alice-password-1"), "bob": (OTHER_TENANT, "bob-password-2")}
    for user, (tenant, password) in users.items():
        local_platform.add_user(tenant, user, password)
    return Server(local_platform.url, local_platform.state_dir, users)
