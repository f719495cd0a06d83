"""The fault tests' private platform (see ``fault_support``): one per session, shared by the tests
that kill, restart and flood it, so that it is trained once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fault_support import CANARY, FAULT_ARGS, FaultPlatform, make_fault_platform
from local_platform_support import LocalPlatform, PlatformFactory


@pytest.fixture(scope="session")
def fault_platform(
    tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform
) -> Iterator[FaultPlatform]:
    factory = PlatformFactory(
        tmp_path_factory.mktemp("fault-platform"),
        seed_cache=local_platform.state_dir / "cache" / "default-data",
    )
    platform = factory.new(
        "faults", extra_args=FAULT_ARGS, extra_env={CANARY: "a secret of the platform's shell"}
    )
    fp = make_fault_platform(platform)
    yield fp
    fp.api.close()
    factory.close()


@pytest.fixture(scope="session")
def shared_fault_platform(
    tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform
) -> Iterator[FaultPlatform]:
    """The same, made shared by a second user: its prediction servers run sandboxed (issue 9)."""
    from local_platform_support import has_sandbox

    if not has_sandbox():
        pytest.skip("needs bubblewrap (apt-get install bubblewrap)")
    factory = PlatformFactory(
        tmp_path_factory.mktemp("shared-fault-platform"),
        seed_cache=local_platform.state_dir / "cache" / "default-data",
    )
    platform = factory.new("faults", extra_args=FAULT_ARGS)
    platform.add_user("OtherTenant", "someone-else", "someone-else-pw")
    fp = make_fault_platform(platform)
    yield fp
    fp.api.close()
    factory.close()
