"""The official kubernetes client, made safe for an asyncio app.

The client is synchronous and heavy to import, so it is imported lazily, every call runs in a
worker thread (``asyncio.to_thread``) and never on the event loop, and the client is rebuilt
from a fresh kubeconfig when the API answers 401: the library does not refresh credentials by
itself (design §9), and an Ezmeral kubeconfig embeds a session that expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mlops_tui.services import errors
from mlops_tui.services import proxy as proxies
from mlops_tui.services.kubernetes import errmap
from mlops_tui.services.kubernetes.exec_credential import ExecAuth
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.proxy import Proxy, ProxyEnvironment

T = TypeVar("T")

KD_GROUP = "kubedirector.hpe.com"
KD_VERSION = "v1beta1"
KD_PLURAL = "kubedirectorclusters"
MERGE_PATCH = "application/merge-patch+json"

# kubeconfig provider: ``refresh=True`` after a 401 (re-fetch / re-read), returns the parsed YAML.
ConfigProvider = Callable[[bool], Awaitable[dict[str, Any]]]


@dataclass
class Apis:
    """One built client: the API groups the adapter uses, plus where it points."""

    client: Any  # kubernetes.client.ApiClient
    core: Any  # CoreV1Api
    batch: Any  # BatchV1Api
    custom: Any  # CustomObjectsApi
    namespace: str
    host: str
    timeout: tuple[float, float]
    proxy: Proxy | None = None  # what calls to ``host`` go through (None: direct)

    def plain(self, obj: Any) -> Any:
        """A typed kubernetes model as the JSON dict the API server sent (camelCase keys)."""
        return self.client.sanitize_for_serialization(obj)


def context_namespace(config: dict[str, Any], context: str = "") -> str:
    """The namespace the kubeconfig's (current or named) context selects, or ''."""
    name = context or config.get("current-context", "")
    for item in config.get("contexts") or []:
        if item.get("name") == name:
            return (item.get("context") or {}).get("namespace", "") or ""
    return ""


def context_cluster(config: dict[str, Any], context: str = "") -> dict[str, Any]:
    """The ``cluster`` entry the kubeconfig's (current or named) context points at, or {}."""
    name = context or config.get("current-context", "")
    ctx = next((c.get("context") or {} for c in config.get("contexts") or [] if c.get("name") == name), {})
    return next(
        (c.get("cluster") or {} for c in config.get("clusters") or [] if c.get("name") == ctx.get("cluster")),
        {},
    )


def choose_proxy(
    config: dict[str, Any], context: str, host: str, environment: ProxyEnvironment
) -> Proxy | None:
    """What calls to the API at ``host`` go through: the cluster's ``proxy-url`` when the kubeconfig
    has one (always, as kubectl does: NO_PROXY does not apply to it), else the environment's proxy
    by the rule of :mod:`mlops_tui.services.proxy` (loopback direct, NO_PROXY as curl)."""
    url = str(context_cluster(config, context).get("proxy-url") or "").strip()
    if url:
        return Proxy(url, proxies.KUBECONFIG_SOURCE)
    return environment.for_url(host)


def check_supported(proxy: Proxy) -> None:
    """Raise a one-line :class:`~mlops_tui.services.errors.InvalidInput` for a proxy the kubernetes
    client (urllib3) cannot speak here: SOCKS needs PySocks; only http(s) and socks otherwise. A
    malformed value (:func:`~mlops_tui.services.proxy.check_valid`) is said first."""
    proxies.check_valid(proxy)
    schemes = "http, https, socks4, socks4a, socks5 and socks5h"
    if proxy.scheme in ("http", "https"):
        return
    if proxy.scheme in ("socks4", "socks4a", "socks5", "socks5h"):
        try:
            import socks  # noqa: F401  (PySocks, urllib3's optional SOCKS dependency)
        except ImportError:
            raise proxies.unsupported(
                proxy, client="the kubernetes client", schemes=schemes, install="urllib3[socks]"
            ) from None
        return
    raise proxies.unsupported(proxy, client="the kubernetes client", schemes=schemes, install=None)


@functools.cache
def _api_client_class() -> type:
    """``kubernetes.client.ApiClient`` whose calls all get the deadline given at construction when
    the caller passes none: a create, patch or delete without ``_request_timeout`` would otherwise
    wait on a silent API server for ever (urllib3's default is no timeout)."""
    from kubernetes import client as k8s

    class DeadlineApiClient(k8s.ApiClient):
        def __init__(self, configuration: Any, timeout: tuple[float, float]) -> None:
            super().__init__(configuration)
            self.default_timeout = timeout

        def call_api(self, *args: Any, _request_timeout: Any = None, **kwargs: Any) -> Any:
            timeout = _request_timeout or self.default_timeout
            return super().call_api(*args, _request_timeout=timeout, **kwargs)

    return DeadlineApiClient


def _build(
    config: dict[str, Any],
    options: KubernetesOptions,
    namespace: str,
    environment: ProxyEnvironment | None = None,
) -> Apis:
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    configuration = k8s.Configuration()
    # No urllib3 retries: an unreachable API must surface at once (the poller owns the backoff).
    configuration.retries = False
    try:
        k8s_config.load_kube_config_from_dict(
            config,
            context=options.context or None,
            client_configuration=configuration,
            persist_config=False,
        )
    except k8s_config.ConfigException as exc:
        raise errors.InvalidInput(f"the kubeconfig cannot be used: {exc}", field="kubeconfig") from None
    if options.insecure:
        configuration.verify_ssl = False
    # The client reads proxy-url and the environment itself, but without the loopback rule and with
    # NO_PROXY applied to proxy-url too; give it the one decision every client of the app makes.
    environment = environment if environment is not None else ProxyEnvironment.from_environ()
    proxy = choose_proxy(config, options.context, configuration.host, environment)
    if proxy is not None:
        check_supported(proxy)
    configuration.proxy = proxy.url if proxy else None
    configuration.no_proxy = None
    timeout = (options.connect_timeout, options.request_timeout)
    api_client = _api_client_class()(configuration, timeout)
    api_client.user_agent = "mlops-tui"
    return Apis(
        client=api_client,
        core=k8s.CoreV1Api(api_client),
        batch=k8s.BatchV1Api(api_client),
        custom=k8s.CustomObjectsApi(api_client),
        namespace=namespace,
        host=configuration.host,
        timeout=timeout,
        proxy=proxy,
    )


class KubeApi:
    """Calls into the kubernetes client off the event loop, with one rebuild-and-retry on 401."""

    def __init__(
        self,
        options: KubernetesOptions,
        provider: ConfigProvider,
        default_namespace: str,
        exec_auth: ExecAuth | None = None,
    ) -> None:
        self._options = options
        self._provider = provider
        self._default_namespace = default_namespace
        # The kubeconfig's exec credential plugin is run by us, never by the client (see exec_credential).
        self.exec_auth = exec_auth or ExecAuth.for_options(options)
        self._apis: Apis | None = None
        self._lock = asyncio.Lock()
        self.rebuilds = 0
        self._builds_done = 0  # build attempts finished
        self._failed: tuple[int, errors.PlatformError] | None = None  # the last one, if it failed

    async def apis(self) -> Apis:
        """The built client; rebuilt first when the exec plugin's credential has expired."""
        if self._apis is None or self.exec_auth.expired():
            seen = self._builds_done
            async with self._lock:
                if self._apis is None or self.exec_auth.expired():
                    old, self._apis = self._apis, await self._make_once(refresh=False, seen=seen)
                    if old is not None:
                        await asyncio.to_thread(_close, old)
        return self._apis

    async def _make_once(self, *, refresh: bool, seen: int) -> Apis:
        """:meth:`_make` under the lock, its failure shared with the callers that waited for it: the
        pollers' burst of calls runs an exec plugin once, not once per caller."""
        if self._failed is not None and self._failed[0] > seen:
            raise self._failed[1]  # it finished (and failed) while this caller waited
        try:
            apis = await self._make(refresh=refresh)
        except errors.PlatformError as exc:
            self._builds_done += 1
            self._failed = (self._builds_done, exc)
            raise
        self._builds_done += 1
        self._failed = None
        return apis

    @property
    def namespace(self) -> str:
        return self._apis.namespace if self._apis else (self._options.namespace or self._default_namespace)

    async def _make(self, *, refresh: bool) -> Apis:
        config = await self._provider(refresh)
        config = await self.exec_auth.resolve(config, self._options.context, refresh=refresh)
        namespace = self._options.namespace or context_namespace(config, self._options.context)
        namespace = namespace or self._default_namespace
        if not namespace:
            raise errors.InvalidInput(
                "no namespace: set one in the profile or the kubeconfig context", field="namespace"
            )
        # Building imports the client and writes its temporary certificate files: off the loop too.
        return await asyncio.to_thread(_build, config, self._options, namespace)

    async def rebuild(self, stale: Apis | None) -> Apis:
        """Fresh credentials after a 401; concurrent callers share one rebuild."""
        seen = self._builds_done
        async with self._lock:
            if self._apis is not None and self._apis is not stale:
                return self._apis
            fresh = await self._make_once(refresh=True, seen=seen)
            old, self._apis = self._apis, fresh
            self.rebuilds += 1
        if old is not None:
            await asyncio.to_thread(_close, old)
        return fresh

    async def call(self, what: str, fn: Callable[[Apis], T]) -> T:
        """Run ``fn(apis)`` in a thread; map failures; after a 401 rebuild and retry once.

        Each attempt has a deadline (:attr:`KubernetesOptions.call_deadline`): urllib3's connect
        timeout does not cover name resolution (``getaddrinfo`` has no timeout), so a DNS server
        that never answers would otherwise hold the call. The thread is left to finish on its own.
        """
        apis = await self.apis()
        deadline = self._options.call_deadline
        for attempt in (1, 2):
            scope = asyncio.timeout(deadline)
            try:
                async with scope:
                    return await asyncio.to_thread(fn, apis)
            except Exception as exc:  # the client raises ApiException or urllib3 errors
                if scope.expired():
                    raise self._late(what, apis, deadline) from None
                status = getattr(exc, "status", None)
                if status == 401 and attempt == 1:
                    apis = await self.rebuild(apis)
                    continue
                raise self._map(exc, what, apis) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _map(self, exc: Exception, what: str, apis: Apis) -> errors.PlatformError:
        if isinstance(exc, errors.PlatformError):
            return exc
        if type(exc).__name__.endswith("ApiException") or (hasattr(exc, "status") and hasattr(exc, "body")):
            return errmap.from_api_exception(exc, what)
        if errmap.is_transport_error(exc):
            where = f"the Kubernetes API at {apis.host}"
            if apis.proxy is not None and not errmap.is_tls_error(exc):
                return proxies.unreachable(where, apis.proxy, errmap.reason(exc))
            return errmap.unreachable(where, exc)
        return errors.PlatformFailure(f"{what}: {type(exc).__name__}: {exc}")

    @staticmethod
    def _late(what: str, apis: Apis, deadline: float) -> errors.Unreachable:
        reason = f"no answer within {deadline:g} s to {what}: name resolution or connection"
        where = f"the Kubernetes API at {apis.host}"
        if apis.proxy is not None:
            return proxies.unreachable(where, apis.proxy, reason)
        return errors.Unreachable(
            f"{where} did not answer ({reason})",
            hint="check the server in the kubeconfig, DNS and the network",
        )

    async def stream_lines(
        self, what: str, open_stream: Callable[[Apis], Any], *, idle_ends: bool = False
    ) -> AsyncIterator[str]:
        """Yield the lines of a streaming response (``_preload_content=False``) as they arrive.

        A worker thread reads the urllib3 response; closing the iterator shuts the response down,
        which unblocks that thread. A 401 on opening rebuilds the client and retries once. The read
        timeout given when opening bounds each wait for data: with ``idle_ends`` (a followed log,
        silent while the job thinks) it ends the iteration so the caller can check and reopen;
        otherwise it is an :class:`~mlops_tui.services.errors.Unreachable`.
        """
        response = await self.call(what, open_stream)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=10_000)
        stop = threading.Event()

        def put(item: tuple[str, Any]) -> None:
            if not stop.is_set():
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def pump() -> None:
            pending = b""
            try:
                for chunk in response.stream(8192, decode_content=True):
                    if stop.is_set():
                        break
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        put(("line", line.decode("utf-8", "replace").rstrip("\r")))
                if pending and not stop.is_set():
                    put(("line", pending.decode("utf-8", "replace").rstrip("\r")))
                put(("end", None))
            except Exception as exc:
                put(("end", None) if idle_ends and errmap.is_read_timeout(exc) else ("error", exc))
            finally:
                response.release_conn()

        worker = threading.Thread(target=pump, name=f"k8s-stream:{what}", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == "line":
                    yield value
                elif kind == "end":
                    return
                else:
                    apis = self._apis
                    if apis is None:
                        raise errors.Unreachable(f"{what}: the stream broke")
                    raise self._map(value, what, apis)
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                response.shutdown()

    async def aclose(self) -> None:
        if self._apis is not None:
            apis, self._apis = self._apis, None
            await asyncio.to_thread(_close, apis)


def _close(apis: Apis) -> None:
    with contextlib.suppress(Exception):
        apis.client.close()


def status_body(exc: Any) -> dict[str, Any]:
    try:
        return json.loads(getattr(exc, "body", "") or "{}")
    except ValueError:
        return {}
