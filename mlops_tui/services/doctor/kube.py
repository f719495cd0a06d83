"""The doctor's checks for a ``kubernetes`` profile, hop by hop (issue 13).

Ezmeral: profile → gateway (proxy, DNS, TCP, TLS) → REST login → session → kubeconfig → exec
plugin → API server (proxy, DNS, TCP, TLS) → credentials → version → KubeDirector CRDs → the three
KubeDirectorApps → RBAC (one ``SelfSubjectAccessReview`` per permission of
:mod:`~mlops_tui.services.kubernetes.permissions`) → repository PVC → job image → shared training
cluster. A plain kubeconfig profile skips the gateway and the REST session.

The calls are the adapter's own (its REST session, its kubeconfig handling and exec plugin runner,
its kubernetes client with deadlines and proxy rule), so what the doctor sees is what the app
would meet. Nothing is created or changed on the cluster; in Ezmeral mode the kubeconfig is
fetched and kept (mode 0600) exactly as a login does.
"""

from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_tui.platform.names import shown
from mlops_tui.services import errors, httpclient
from mlops_tui.services.doctor import hops
from mlops_tui.services.doctor.core import Check, Finding
from mlops_tui.services.kubernetes import kubeconfigs
from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes.exec_credential import ExecListener, PluginRun, plugin_name
from mlops_tui.services.kubernetes.kube import (
    KD_GROUP,
    KD_PLURAL,
    KD_VERSION,
    check_supported,
    choose_proxy,
    context_cluster,
)
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.kubernetes.permissions import NEEDED
from mlops_tui.services.proxy import ProxyEnvironment

# Job ``spec.suspend`` (how a training job is cancelled) is GA from Kubernetes 1.24 (KEP-2232).
MIN_VERSION = (1, 24)
KD_APPS_PLURAL = "kubedirectorapps"
# The roles the adapter puts in each app's clusters (manifests.kdcluster).
ROLES_USED = {
    "jupyter-notebook": ("controller",),
    "training-engine": ("LoadBalancer", "RESTServer"),
    "deployment-engine": ("LoadBalancer", "RESTServer"),
}
_VERSION = re.compile(r"^v?(\d+)\.(\d+)")
# A container image reference (distribution/reference grammar, simplified to what people write).
_IMAGE = re.compile(
    r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")


class _Collect:
    """The exec plugin's stderr, kept for the finding and passed on to the caller's listener."""

    def __init__(self, forward: ExecListener | None) -> None:
        self.forward = forward
        self.lines: list[str] = []

    def exec_output(self, run: PluginRun, line: str) -> None:
        self.lines.append(line)
        if self.forward is not None:
            self.forward.exec_output(run, line)

    def exec_finished(self, run: PluginRun) -> None:
        if self.forward is not None:
            self.forward.exec_finished(run)


@dataclass
class KubeContext:
    """What the checks share: the profile's adapter and what each hop learnt."""

    profile: Any  # mlops_tui.config.Profile
    user: str
    password: str | None
    password_source: str
    listener: ExecListener | None = None
    environment: ProxyEnvironment = field(default_factory=ProxyEnvironment.from_environ)
    platform: Any = None  # KubernetesPlatform, built by the profile check
    config: dict[str, Any] | None = None  # the kubeconfig
    config_dir: Path | None = None
    user_entry: dict[str, Any] = field(default_factory=dict)  # the context's users[].user
    api: hops.Hop | None = None
    version: str = ""

    @property
    def options(self) -> KubernetesOptions:
        return self.platform.options

    @property
    def ezmeral(self) -> bool:
        return bool(self.profile.url)

    @property
    def namespace(self) -> str:
        return self.platform.namespace

    def gateway(self) -> hops.Hop:
        hint = (
            f'give the gateway\'s CA in the profile (ca_file = "/path/ca.pem"), or for a test gateway '
            f"verify_tls = false (like curl -k): mlops-tui profile add {self.profile.name} --replace …"
        )
        ca = self.profile.ca_file
        return hops.Hop(
            label="the Ezmeral gateway",
            url=self.profile.url,
            proxy=self.environment.for_url(self.profile.url),
            ca_file=str(Path(ca).expanduser()) if ca else "",
            insecure=not self.profile.verify_tls,
            trust=f"ca_file {ca}" if ca else "the system's CA certificates",
            tls_hint=hint,
            proxy_supported=httpclient.check_supported,
        )

    async def call(self, what: str, fn: Any) -> Any:
        return await self.platform.kube.call(what, fn)


# -- the profile, the gateway and the REST session ---------------------------------------------------


async def profile_check(ctx: KubeContext) -> Finding:
    from mlops_tui.services.kubernetes import profile as k8s_profile

    p = ctx.profile
    missing = []
    if p.url and not re.match(r"^https?://[^/\s:]+", p.url):
        return Finding.failed(
            f"url {shown(p.url)} is not a gateway URL", "write it as https://<gateway>:8080 (reference §1.1)"
        )
    if p.url and not p.tenant:
        missing.append("tenant")
    if p.url and ctx.password is None:
        return Finding.failed(
            f"no stored password for {ctx.user} on profile {p.name} (looked in {ctx.password_source})",
            f"store it once: mlops-tui login --profile {p.name}",
        )
    if missing:
        return Finding.failed(f"profile {p.name} has no {', '.join(missing)}", "add it to the profile")
    if p.ca_file and not Path(p.ca_file).expanduser().is_file():
        return Finding.failed(
            f"ca_file {p.ca_file} does not exist", "give the path of the gateway's CA certificate (PEM)"
        )
    ctx.platform = k8s_profile.build(p, ctx.user, ctx.password)
    if p.url:
        where = f"Ezmeral gateway {p.url}, tenant {p.tenant}, user {ctx.user}"
        where += f", password from {ctx.password_source}"
    else:
        where = f"kubeconfig {p.kubeconfig or '$KUBECONFIG or ~/.kube/config'}, user {ctx.user}"
    return Finding.passed(where)


async def login_check(ctx: KubeContext) -> Finding:
    rest = ctx.platform.rest
    try:
        location = await rest.login()
    except errors.AuthFailed as exc:
        return Finding.failed(
            f"the gateway refused {ctx.user} in tenant {ctx.profile.tenant} (401): {exc.message}",
            f"check the password (mlops-tui login --profile {ctx.profile.name}) and the tenant's exact name",
        )
    return Finding.passed(f"POST /api/v2/session → 201, session {location.rsplit('/', 1)[-1][:8]}…")


async def session_check(ctx: KubeContext) -> Finding:
    from datetime import UTC, datetime

    try:
        session = await ctx.platform.rest.session_info()
    except errors.SessionExpired as exc:
        return Finding.failed(
            f"the gateway ends the session at once: {exc.message}",
            "check this host's clock and the tenant's session settings with the platform admin",
        )
    expires = session.expires_at
    if expires is not None and expires <= datetime.now(UTC):
        return Finding.failed(
            f"the session says it expired at {expires:%Y-%m-%d %H:%M} UTC",
            "check this host's clock (timedatectl), then log in again",
        )
    until = f", expires {expires:%Y-%m-%d %H:%M} UTC" if expires else ""
    return Finding.passed(
        f"{session.user} in {session.tenant} (role {session.role}), namespace {session.namespace}{until}"
    )


# -- the kubeconfig and its exec plugin ----------------------------------------------------------------


async def kubeconfig_check(ctx: KubeContext) -> Finding:
    if ctx.ezmeral:
        try:
            await ctx.platform.kubeconfig()
        except errors.NotFound as exc:
            return Finding.from_error(exc)
        path = ctx.platform.kubeconfig_file
        text = path.read_text(encoding="utf-8")
        source = f"fetched from the gateway, kept in {path} (0600)"
    else:
        path, _ = kubeconfigs.read(ctx.options.kubeconfig_path)
        text = path.read_text(encoding="utf-8")
        source = str(path)
    config = kubeconfigs.parse(text, source)
    context = ctx.options.context or str(config.get("current-context") or "")
    contexts = {c.get("name"): c.get("context") or {} for c in config.get("contexts") or []}
    if context not in contexts:
        return Finding.failed(
            f"the kubeconfig ({source}) has no context {shown(context)} "
            f"(has: {', '.join(map(shown, contexts))})",
            "set context in the profile to one of those",
        )
    cluster = context_cluster(config, ctx.options.context)
    server = str(cluster.get("server") or "")
    if not server.startswith(("https://", "http://")):
        return Finding.failed(
            f"context {context} names no cluster with a server URL (server: {shown(server)})",
            "fix the kubeconfig's clusters entry",
        )
    ctx.config, ctx.config_dir = config, path.parent
    ctx.api = _api_hop(ctx, cluster, server)
    user = next(
        (
            u.get("user") or {}
            for u in config.get("users") or []
            if u.get("name") == contexts[context].get("user")
        ),
        {},
    )
    ctx.user_entry = user
    auth = (
        f"exec plugin {plugin_name(user['exec'])}"
        if isinstance(user.get("exec"), dict)
        else "bearer token"
        if user.get("token") or user.get("tokenFile")
        else "client certificate"
        if user.get("client-certificate-data") or user.get("client-certificate")
        else "no credentials"
    )
    namespace = contexts[context].get("namespace") or "-"
    return Finding.passed(f"{source}: context {context}, server {server}, namespace {namespace}, {auth}")


def _api_hop(ctx: KubeContext, cluster: dict[str, Any], server: str) -> hops.Hop:
    ca_data = b""
    trust = "the system's CA certificates"
    if cluster.get("certificate-authority-data"):
        ca_data = base64.b64decode(str(cluster["certificate-authority-data"]))
        trust = "the kubeconfig's certificate-authority-data"
    elif cluster.get("certificate-authority"):
        ca_path = Path(str(cluster["certificate-authority"])).expanduser()
        if not ca_path.is_absolute() and ctx.config_dir is not None:
            ca_path = ctx.config_dir / ca_path
        ca_data = ca_path.read_bytes() if ca_path.is_file() else b""
        trust = f"the kubeconfig's certificate-authority {ca_path}"
    insecure = bool(cluster.get("insecure-skip-tls-verify")) or ctx.options.insecure
    hint = (
        "the kubeconfig must carry the API server's CA: fetch it again with mlops-tui login, "
        "or ask the platform admin"
        if ctx.ezmeral
        else "fix certificate-authority(-data) of the kubeconfig's cluster (kubectl config view --minify)"
    )
    assert ctx.config is not None
    return hops.Hop(
        label="the Kubernetes API server",
        url=server,
        proxy=choose_proxy(ctx.config, ctx.options.context, server, ctx.environment),
        ca_data=ca_data,
        insecure=insecure,
        trust=trust,
        tls_hint=hint,
        insecure_switch="insecure-skip-tls-verify"
        if cluster.get("insecure-skip-tls-verify")
        else "verify_tls = false",
        proxy_supported=check_supported,
    )


async def exec_plugin_check(ctx: KubeContext) -> Finding:
    assert ctx.config is not None
    exec_auth = ctx.platform.kube.exec_auth
    exec_config = ctx.user_entry.get("exec")
    if not isinstance(exec_config, dict):
        return Finding.skip("none: the kubeconfig carries the credentials itself")
    name = plugin_name(exec_config)
    collect = _Collect(exec_auth.listener or ctx.listener)
    exec_auth.listener = collect
    try:
        await exec_auth.resolve(ctx.config, ctx.options.context)
    except errors.Unreachable as exc:  # its deadline passed
        said = "; ".join(collect.lines[-3:])
        return Finding.failed(exc.message + (f"; it said: {said}" if said else ""), exc.hint)
    finally:
        exec_auth.listener = collect.forward
    credential = exec_auth.in_use
    until = ""
    if credential and credential.expires_at is not None:
        until = f", valid until {credential.expires_at:%Y-%m-%d %H:%M} UTC"
    kind = "a token" if credential and credential.token else "a client certificate"
    return Finding.passed(f"{name} answered {kind}{until} (deadline {exec_auth.deadline_s:g} s)")


# -- the API server ------------------------------------------------------------------------------------


def _hop(ctx: KubeContext) -> hops.Hop:
    assert ctx.api is not None
    return ctx.api


async def api_auth_check(ctx: KubeContext) -> Finding:
    def read(a: Any) -> Any:
        from kubernetes import client

        return client.VersionApi(a.client).get_code(_request_timeout=a.timeout)

    try:
        info = await ctx.call("read the API server version", read)
    except errors.SessionExpired:
        if ctx.ezmeral:
            return Finding.failed(
                "the Kubernetes API refused the kubeconfig's credentials (401), also with a kubeconfig "
                "fetched again just now: the session behind them has expired or is not accepted",
                f"log in again (mlops-tui login --profile {ctx.profile.name}); if it persists, ask the "
                "platform admin whether the tenant's kubeconfig is valid for this API server",
            )
        return Finding.failed(
            "the Kubernetes API refused the kubeconfig's credentials (401): its token or session has expired",
            "refresh the kubeconfig's credentials (kubectl hpecp refresh, or your provider's "
            "get-credentials), then run mlops-tui doctor again",
        )
    ctx.version = str(info.git_version or f"v{info.major}.{info.minor}")
    return Finding.passed(f"the API server accepts the credentials (GET /version → {ctx.version})")


async def api_version_check(ctx: KubeContext) -> Finding:
    from importlib.metadata import version

    m = _VERSION.match(ctx.version)
    if m is None:
        return Finding.failed(
            f"the API server reports version {shown(ctx.version)}", "report it: unknown format"
        )
    found = (int(m[1]), int(m[2]))
    client = f"kubernetes client {version('kubernetes')}"
    if found < MIN_VERSION:
        need = ".".join(map(str, MIN_VERSION))
        return Finding.failed(
            f"Kubernetes {ctx.version} is older than {need} (Job suspend, used to cancel training, is GA in "
            "1.24)",
            "use a cluster with Kubernetes 1.24 or newer",
        )
    return Finding.passed(f"Kubernetes {ctx.version} ({client})")


async def crd_check(ctx: KubeContext) -> Finding:
    def groups(a: Any) -> Any:
        from kubernetes import client

        return client.ApisApi(a.client).get_api_versions(_request_timeout=a.timeout)

    listing = await ctx.call("list the API groups", groups)
    group = next((g for g in listing.groups or [] if g.name == KD_GROUP), None)
    hint = (
        "install KubeDirector (bluek8s/kubedirector) on the cluster, or point the profile at one that has it"
    )
    if group is None:
        return Finding.failed(
            f"the API server does not serve {KD_GROUP}: the KubeDirector CRDs are not installed", hint
        )
    versions = [v.version for v in group.versions or []]
    if KD_VERSION not in versions:
        return Finding.failed(
            f"{KD_GROUP} is served in {', '.join(versions)}, not {KD_VERSION} (what mlops-tui speaks)",
            "upgrade KubeDirector to a release with v1beta1 (0.5 or later)",
        )

    def resources(a: Any) -> Any:
        return a.custom.get_api_resources(KD_GROUP, KD_VERSION, _request_timeout=a.timeout)

    served = {r.name for r in (await ctx.call("list the KubeDirector resources", resources)).resources or []}
    missing = [r for r in (KD_PLURAL, KD_APPS_PLURAL) if r not in served]
    if missing:
        return Finding.failed(f"{KD_GROUP}/{KD_VERSION} has no {', '.join(missing)}", hint)
    return Finding.passed(
        f"{KD_GROUP} {', '.join(versions)} (preferred {group.preferred_version.version}): "
        f"{KD_PLURAL}, {KD_APPS_PLURAL}"
    )


async def kdapps_check(ctx: KubeContext) -> Finding:
    ns = ctx.namespace
    found: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for app in n.KD_APP_BY_KIND.values():

        def read(a: Any, app: str = app) -> Any:
            return a.custom.get_namespaced_custom_object(
                KD_GROUP, KD_VERSION, a.namespace, KD_APPS_PLURAL, app, _request_timeout=a.timeout
            )

        try:
            found[app] = await ctx.call(f"read KubeDirectorApp {app}", read)
        except errors.NotFound:
            missing.append(app)
    if missing:
        return Finding.failed(
            f"KubeDirectorApp {', '.join(missing)} not in the catalog of namespace {ns} "
            "(the clusters use appCatalog local)",
            "ask the platform admin to add the ML Ops apps to the tenant's catalog "
            "(kubectl apply -n NAMESPACE -f cr-app-<name>.json from KubeDirector's example catalog)",
        )
    for app, obj in found.items():
        roles = {r.get("id") for r in (obj.get("spec") or {}).get("roles") or []}
        absent = [r for r in ROLES_USED[app] if r not in roles]
        if absent:
            return Finding.failed(
                f"KubeDirectorApp {app} has roles {', '.join(sorted(map(str, roles)))}, not "
                f"{', '.join(absent)} that mlops-tui creates",
                "this catalog's app differs from KubeDirector's example ML Ops app: report it with "
                f"kubectl get kdapp {app} -n {ns} -o yaml",
            )
    versions = ", ".join(f"{a} {(o.get('spec') or {}).get('version', '?')}" for a, o in found.items())
    return Finding.passed(f"{versions} in namespace {ns}")


async def rbac_check(ctx: KubeContext) -> Finding:
    ns = ctx.namespace

    async def review(perm: Any) -> bool:
        res, _, sub = perm.resource.partition("/")
        attrs = {"namespace": ns, "verb": perm.verb, "group": perm.group, "resource": res}
        if sub:
            attrs["subresource"] = sub
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }

        def ask(a: Any) -> Any:
            from kubernetes import client

            return client.AuthorizationV1Api(a.client).create_self_subject_access_review(
                body, _request_timeout=a.timeout
            )

        answer = await ctx.call(f"ask whether {perm.name} is allowed", ask)
        return bool(answer.status and answer.status.allowed)

    allowed = await asyncio.gather(*(review(p) for p in NEEDED))
    denied = [p for p, ok in zip(NEEDED, allowed, strict=True) if not ok]
    if denied:
        first = denied[0]
        more = f" and {len(denied) - 1} more" if len(denied) > 1 else ""
        return Finding.failed(
            f"not allowed in namespace {ns}: {first.name} ({first.why}){more}"
            + (f": {', '.join(p.name for p in denied[1:4])}" if len(denied) > 1 else ""),
            f"ask the platform admin for the Role in docs/kubernetes.md §4 "
            f"(check: kubectl auth can-i {first.kubectl} -n {ns})",
        )
    return Finding.passed(f"all {len(NEEDED)} permissions mlops-tui uses are allowed in namespace {ns}")


async def pvc_check(ctx: KubeContext) -> Finding:
    name = ctx.options.repo_pvc
    if not name:
        return Finding.skip(
            "repo_pvc is not set: training (Lab 3) and the project repository cannot work",
            "ask the platform admin for a PVC on the tenant share and set repo_pvc (docs/kubernetes.md §3)",
        )

    def read(a: Any) -> Any:
        return a.core.read_namespaced_persistent_volume_claim(name, a.namespace, _request_timeout=a.timeout)

    try:
        pvc = await ctx.call(f"read PersistentVolumeClaim {name}", read)
    except errors.NotFound:
        return Finding.failed(
            f"PersistentVolumeClaim {name} (repo_pvc) does not exist in namespace {ctx.namespace}",
            "ask the platform admin to create it on the tenant share, or fix repo_pvc in the profile",
        )
    phase = (pvc.status.phase if pvc.status else None) or "unknown"
    modes = ", ".join(pvc.status.access_modes or pvc.spec.access_modes or []) if pvc.status else ""
    if phase != "Bound":
        return Finding.failed(
            f"PersistentVolumeClaim {name} is {phase}, not Bound: pods that mount it would wait",
            f"see kubectl describe pvc {name} -n {ctx.namespace} (no matching volume or storage class?)",
        )
    size = ((pvc.status.capacity or {}) if pvc.status else {}).get("storage", "?")
    note = "" if "ReadWriteMany" in modes else " (not ReadWriteMany: jobs and helper pods must share a node)"
    return Finding.passed(f"PersistentVolumeClaim {name}: Bound, {size}, {modes}{note}")


async def job_image_check(ctx: KubeContext) -> Finding:
    image = ctx.profile.job_image
    if not image:
        return Finding.skip(
            f"job_image is not set: training Jobs run {ctx.options.job_image}, "
            "which has no pandas or xgboost",
            "set job_image to an image with python3, pandas, numpy and xgboost-cpu",
        )
    if not _IMAGE.match(image):
        return Finding.failed(
            f"job_image {shown(image)} is not a valid image reference", "write it as registry/name:tag"
        )

    def pods(a: Any) -> Any:
        return a.core.list_namespaced_pod(
            a.namespace, label_selector=f"{n.MANAGED_BY}={n.MANAGER}", _request_timeout=a.timeout
        )

    for pod in (await ctx.call("list the pods mlops-tui made", pods)).items or []:
        if not any(c.image == image for c in pod.spec.containers or []):
            continue
        for status in (pod.status.container_statuses or []) if pod.status else []:
            waiting = status.state.waiting if status.state else None
            if waiting is not None and waiting.reason in PULL_FAILURES:
                return Finding.failed(
                    f"pod {pod.metadata.name} cannot pull {image}: {waiting.reason} {waiting.message or ''}",
                    "check the image name and tag, and that the namespace may pull from its registry "
                    "(imagePullSecrets)",
                )
    return Finding.passed(f"{image}: a valid reference; no pull failure among the pods mlops-tui made")


async def training_cluster_check(ctx: KubeContext) -> Finding:
    name = ctx.options.training_cluster

    def read(a: Any) -> Any:
        return a.custom.get_namespaced_custom_object(
            KD_GROUP, KD_VERSION, a.namespace, KD_PLURAL, name, _request_timeout=a.timeout
        )

    try:
        kd = await ctx.call(f"read KubeDirectorCluster {name}", read)
    except errors.NotFound:
        return Finding.failed(
            f"the shared training cluster {name} does not exist in namespace {ctx.namespace}",
            "the tenant admin creates it (KubeDirectorCluster of app training-engine, reference §2.4)",
        )
    app = (kd.get("spec") or {}).get("app")
    state = (kd.get("status") or {}).get("state") or "creating"
    if app != "training-engine":
        return Finding.failed(f"{name} is a {app} cluster, not training-engine", "ask the tenant admin")
    if state != "configured":
        return Finding.failed(
            f"the shared training cluster {name} is {state}, not configured",
            f"wait, or see kubectl describe kdcluster {name} -n {ctx.namespace}",
        )
    return Finding.passed(f"{name}: training-engine, configured")


# -- the list ------------------------------------------------------------------------------------------


def _api_deadline(ctx: KubeContext) -> float:
    return ctx.platform.options.call_deadline * 2 + 5 if ctx.platform else 45.0  # a 401 retries once


def _exec_deadline(ctx: KubeContext) -> float:
    return (ctx.platform.options.exec_timeout if ctx.platform else 300.0) + 5


def _rest_deadline(ctx: KubeContext) -> float:
    opts = ctx.platform.options if ctx.platform else KubernetesOptions()
    return 2 * (opts.connect_timeout + opts.request_timeout) + 5  # one re-login on 401


async def _gw(ctx: KubeContext, fn: Any) -> Finding:
    return await fn(ctx.gateway())


def checks(ezmeral: bool) -> list[Check[KubeContext]]:
    """The checks of a kubernetes profile, in order; ``ezmeral`` adds the gateway and REST session.
    Exit codes 10-30, one per check (docs/kubernetes.md lists them)."""
    late_api = "check the API server and the network (a proxy?), then run mlops-tui doctor again"
    late_dns = "this host's DNS server does not answer: check /etc/resolv.conf, or use an address in the URL"
    head: list[Check[KubeContext]] = [Check("profile", "profile", 10, 5.0, profile_check)]
    if ezmeral:
        head += [
            Check(
                "gateway-proxy",
                "gateway proxy",
                11,
                hops.TCP_DEADLINE_S + 2,
                lambda c: _gw(c, hops.proxy_check),
            ),
            Check(
                "gateway-dns",
                "gateway DNS",
                12,
                hops.DNS_DEADLINE_S,
                lambda c: _gw(c, hops.dns_check),
                late_dns,
            ),
            Check(
                "gateway-tcp", "gateway TCP", 13, hops.TCP_DEADLINE_S + 2, lambda c: _gw(c, hops.tcp_check)
            ),
            Check("gateway-tls", "gateway TLS", 14, hops.TLS_DEADLINE_S, lambda c: _gw(c, hops.tls_check)),
            Check("login", "REST login", 15, _rest_deadline, login_check),
            Check("session", "session", 16, _rest_deadline, session_check),
        ]
    return [
        *head,
        Check(
            "kubeconfig",
            "kubeconfig",
            17,
            lambda c: _rest_deadline(c) if c.ezmeral else 5.0,
            kubeconfig_check,
        ),
        Check("exec-plugin", "exec plugin", 18, _exec_deadline, exec_plugin_check),
        Check("api-proxy", "API proxy", 19, hops.TCP_DEADLINE_S + 2, lambda c: hops.proxy_check(_hop(c))),
        Check("api-dns", "API DNS", 20, hops.DNS_DEADLINE_S, lambda c: hops.dns_check(_hop(c)), late_dns),
        Check("api-tcp", "API TCP", 21, hops.TCP_DEADLINE_S + 2, lambda c: hops.tcp_check(_hop(c))),
        Check("api-tls", "API TLS", 22, hops.TLS_DEADLINE_S, lambda c: hops.tls_check(_hop(c))),
        Check("api-auth", "API credentials", 23, _api_deadline, api_auth_check, late_api),
        Check("api-version", "API version", 24, 2.0, api_version_check),
        Check("crds", "KubeDirector CRDs", 25, _api_deadline, crd_check, late_api),
        Check("kdapps", "KubeDirectorApps", 26, _api_deadline, kdapps_check, late_api),
        Check("rbac", "permissions", 27, _api_deadline, rbac_check, late_api),
        Check("pvc", "repository PVC", 28, _api_deadline, pvc_check, late_api),
        Check("job-image", "job image", 29, _api_deadline, job_image_check, late_api),
        Check("training-cluster", "training cluster", 30, _api_deadline, training_cluster_check, late_api),
    ]
