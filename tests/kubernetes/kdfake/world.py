"""The whole fake: API server, KubeDirector, kubelet and Ezmeral gateway in one background loop.

Runs in its own thread (the kubernetes client under test is synchronous and is called from worker
threads; the adapter's event loop stays the test's). ``run(coro)`` executes on the fake's loop.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from . import catalog
from .apiserver import ApiServer
from .certs import make_certs
from .gateway import Gateway
from .kubedirector import KubeDirector
from .kubelet import Kubelet

T = TypeVar("T")
TENANT = "K8sMLTenant"
NAMESPACE = "k8smltenant"
PVC = "tenant-share"
USER = "student01"
PASSWORD = "s3cret-Pa55"


def _resources(cpu: str, memory: str) -> dict[str, dict[str, str]]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


class FakeWorld:
    def __init__(self, base: Path, *, seed_data: bool = True) -> None:
        self.base = base
        self.repo_dir = base / "tenant-share" / "repo"
        self.repo_dir.mkdir(parents=True, exist_ok=True)
        self.ca, cert, key = make_certs(base / "tls")
        self.ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ssl.load_cert_chain(cert, key)
        self.api = ApiServer(NAMESPACE, PVC)
        self.gateway = Gateway(
            self.api,
            tenant=TENANT,
            users={USER: PASSWORD},
            repo_dir=self.repo_dir,
            ssl_context=self.ssl,
            ca_pem=self.ca.read_bytes(),
        )
        self.seed_data = seed_data
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-k8s", daemon=True)
        self.api_port = 0
        self.gateway_url = ""
        self._api_runner: web.AppRunner | None = None
        self._api_site: web.TCPSite | None = None

    # -- lifecycle ------------------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> FakeWorld:
        if self.seed_data:
            self._seed_data()
        self._thread.start()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        self.kubelet = Kubelet(self.api, self.repo_dir, self.base / "pods")
        self.kubedirector = KubeDirector(self.api, self.gateway, delay=0.2)
        self._api_runner = web.AppRunner(self.api.app)
        await self._api_runner.setup()
        await self.start_api()
        gw_runner = web.AppRunner(self.gateway.app)
        await gw_runner.setup()
        site = web.TCPSite(gw_runner, "127.0.0.1", 0, ssl_context=self.ssl)
        await site.start()
        self._gw_runner = gw_runner
        self.gateway_url = f"https://127.0.0.1:{gw_runner.addresses[0][1]}"
        self.gateway.api_url = f"https://127.0.0.1:{self.api_port}"
        # The tenant's app catalog (appCatalog "local": KubeDirectorApps in the tenant namespace) and
        # the PVC on the tenant share that the profile names, as the platform admin set them up.
        for name in catalog.APP_NAMES:
            self.api.put("kubedirectorapps", catalog.app_definition(name))
        self.api.put(
            "persistentvolumeclaims",
            {
                "metadata": {"name": PVC},
                "spec": {
                    "accessModes": ["ReadWriteMany"],
                    "resources": {"requests": {"storage": "10Gi"}},
                    "volumeMode": "Filesystem",
                },
                "status": {
                    "phase": "Bound",
                    "accessModes": ["ReadWriteMany"],
                    "capacity": {"storage": "10Gi"},
                },
            },
        )
        # The operations team's shared training cluster (reference §2.4), made before anyone logs in.
        self.api.strict_names = False
        self.api.put(
            "kubedirectorclusters",
            {
                "metadata": {"name": "training-engine-shared", "labels": {}},
                "spec": {
                    "app": "training-engine",
                    "appCatalog": "local",
                    "namingScheme": "CrNameRole",
                    "roles": [
                        {"id": "LoadBalancer", "members": 1, "resources": _resources("1", "2Gi")},
                        {"id": "RESTServer", "members": 1, "resources": _resources("1", "2Gi")},
                    ],
                },
            },
        )
        self.kubedirector.created(self.api.store.get("kubedirectorclusters", "training-engine-shared"))
        self.api.strict_names = True

    async def start_api(self) -> None:
        assert self._api_runner is not None
        self.api.down = False
        self._api_site = web.TCPSite(
            self._api_runner, "127.0.0.1", self.api_port, ssl_context=self.ssl, reuse_address=True
        )
        await self._api_site.start()
        if not self.api_port:
            self.api_port = self._api_runner.addresses[0][1]

    async def stop_api(self) -> None:
        """The API server goes away (its state stays), as when a control plane restarts."""
        assert self._api_site is not None
        self.api.down = True
        await self._api_site.stop()

    def stop(self) -> None:
        async def shutdown() -> None:
            await self.kubelet.stop()
            for task in list(self.kubedirector.tasks):
                task.cancel()
            await self.gateway.stop()
            await self._gw_runner.cleanup()
            if self._api_runner is not None:
                await self._api_runner.cleanup()

        try:
            self.run(shutdown(), timeout=20)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)

    def _seed_data(self) -> None:
        """The tenant's pre-loaded data (here the lab code's SYNTHETIC set in the 2019 TLC layout)."""
        from mlops_tui.lab_scripts import synthetic

        target = self.repo_dir / "data" / "NYCTaxi" / "synthetic-yellow-2019H1.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        synthetic.generate(rows=4000, seed=7).to_csv(target, index=False)
        (target.parent / "synthetic-yellow-2019H1.README.md").write_text(
            "SYNTHETIC data (fake tenant share)\n"
        )

    # -- what tests look at ---------------------------------------------------------------------------

    @property
    def violations(self) -> list[str]:
        return [*self.api.violations, *self.gateway.violations]

    def expire_sessions(self) -> None:
        self.loop.call_soon_threadsafe(self.gateway.expire_all)
