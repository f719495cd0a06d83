"""Which proxy a call to a URL goes through, read from the environment the way curl and kubectl do.

The rule (one for every client of the app: httpx for REST and predictions, the kubernetes client):

- **Loopback never goes through a proxy**: ``localhost``, ``*.localhost`` (RFC 6761), 127.0.0.0/8
  and ``::1``. A proxy cannot reach this machine's loopback, and the app's own platform, its
  prediction servers and SSH tunnels (``ssh -L``) live there. kubectl (Go's ``httpproxy``) does the
  same; curl would send loopback to the proxy unless ``NO_PROXY`` says otherwise.
- The proxy of a URL is ``https_proxy`` (for ``https://``) or ``http_proxy`` (for ``http://``),
  else ``all_proxy``; each name lower-case first, then upper-case (curl's and Python's order). A
  value without a scheme is ``http://`` (curl).
- ``no_proxy``/``NO_PROXY`` (lower-case first) is a comma- or blank-separated list. ``*`` matches
  every host. A name matches itself and its sub-domains (``example.com`` matches
  ``www.example.com``, never ``notexample.com``); a leading ``.`` or ``*.`` and a trailing ``.`` are
  ignored (curl ``lib/noproxy.c``). An IP address or CIDR block (``10.0.0.0/8``, ``fd00::/8``)
  matches IP hosts in it (curl >= 7.86). An entry with a port (``gw.example.com:8080``) applies to
  that port only (kubectl's rule; curl ignores such entries, which would leave the proxy on for a
  host the person meant to exclude). Printed curl commands are judged by curl's own reading
  (:func:`curl_environment`), since that is what runs them when pasted.

Why not httpx's own ``trust_env``: it proxies loopback, reads ``.example.com`` as sub-domains only
and has no CIDR blocks; urllib's ``proxy_bypass_environment`` has no CIDR and no loopback rule
either. Both disagree with curl on a line of ``NO_PROXY`` a person copies from their shell, so the
rule is written once here and handed to the libraries as an explicit proxy (httpx's transport
``proxy=``, the kubernetes client's ``Configuration.proxy``), which then do the proxying.

A proxy value is checked once, where it is read (:attr:`Proxy.problem`): a port that is not a
number from 1 to 65535, no host, an unclosed IPv6 bracket. Every client that would use it
(:func:`check_valid`, called by httpx's and the kubernetes client's support checks) and the doctor
then say the same one line naming the variable and what is wrong with its value, instead of what
the libraries raise for it (urllib's ``ValueError``, httpx's ``InvalidURL``, anyio's
``ExceptionGroup``).

Stdlib only: cheap to import from anywhere.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from mlops_tui.services import errors

KUBECONFIG_SOURCE = "the kubeconfig's proxy-url"


@dataclass(frozen=True)
class Proxy:
    """A proxy a call goes through: its URL and where that came from (an environment variable's
    exact name, or :data:`KUBECONFIG_SOURCE`)."""

    url: str
    source: str

    @property
    def scheme(self) -> str:
        return self.url.partition("://")[0].lower()

    @functools.cached_property
    def problem(self) -> str | None:
        """What is wrong with the value, in words (None: a usable URL); see :func:`problem`."""
        return problem(self.url)

    @property
    def setting(self) -> str:
        """``HTTPS_PROXY=http://proxy:3128`` (or ``the kubeconfig's proxy-url http://…``)."""
        sep = " " if self.source == KUBECONFIG_SOURCE else "="
        return f"{self.source}{sep}{self.shown}"

    @property
    def shown(self) -> str:
        """The URL with any password masked, for messages."""
        return redact(self.url)

    def describe(self) -> str:
        """``http://proxy:3128 (from HTTPS_PROXY)``."""
        return f"{self.shown} (from {self.source})"


_USER_INFO = re.compile(r"^([^:/?#]*://[^:/?#@]*):[^/?#@]*@")


def redact(url: str) -> str:
    """``url`` with the password of its user-info replaced by ``***`` (also in a malformed URL)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return _USER_INFO.sub(r"\1:***@", url)
    if password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def problem(url: str) -> str | None:
    """What is wrong with the proxy URL ``url``, in words, or None when it can be used (whether a
    client speaks its scheme is the client's check). ``http://127.0.0.1:99999`` gives "its port
    99999 is not a number from 1 to 65535"."""
    scheme, sep, _ = url.partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return "it is not a URL (write it as http://HOST:PORT)"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        if "IPv6" in str(exc):
            return "its IPv6 address has no closing ']' (write it as http://[::1]:3128)"
        return f"it is not a URL ({exc})"
    try:
        port = parts.port
    except ValueError:
        port = -1
    host_port = parts.netloc.rpartition("@")[2]
    if not parts.hostname:
        return "it names no host (write it as http://HOST:PORT)"
    if port is not None and not 1 <= port <= 65535:
        given = host_port.rpartition("]")[2] if host_port.startswith("[") else host_port
        return f"its port {given.rpartition(':')[2] or '(empty)'} is not a number from 1 to 65535"
    return None


def check_valid(proxy: Proxy) -> None:
    """Raise :class:`~mlops_tui.services.errors.InvalidInput` (one line naming the variable and what
    is wrong with its value, and what to do) when ``proxy.problem`` says it cannot be used."""
    if proxy.problem is None:
        return
    raise errors.InvalidInput(
        f"{proxy.setting}: {proxy.problem}",
        field=proxy.source,
        hint=f"correct the value, or {_undo(proxy)}",
    )


def _normalise(value: str) -> str:
    value = value.strip()
    return value if "://" in value else f"http://{value}"


def _lookup(environ: Mapping[str, str], name: str) -> Proxy | None:
    for variable in (name, name.upper()):
        value = environ.get(variable, "").strip()
        if value:
            return Proxy(_normalise(value), variable)
    return None


@dataclass(frozen=True)
class NoProxyEntry:
    """One entry of ``NO_PROXY``, parsed once: every host (``*``), an IP network, or a domain (which
    covers its sub-domains); ``port`` limits it to that port."""

    everything: bool = False
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    domain: str = ""
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> NoProxyEntry:
        if entry == "*":
            return cls(everything=True)
        name, port = _split_port(entry)
        try:
            return cls(network=ipaddress.ip_network(name, strict=False), port=port)
        except ValueError:
            return cls(domain=name.removeprefix("*").strip("."), port=port)

    def matches(
        self, host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, port: int
    ) -> bool:
        if self.everything:
            return True
        if self.port is not None and self.port != port:
            return False
        if address is not None:
            return self.network is not None and address in self.network
        return bool(self.domain) and (host == self.domain or host.endswith("." + self.domain))


@dataclass(frozen=True)
class ProxyEnvironment:
    """The proxy settings of one environment (read once; see the module's rule)."""

    http: Proxy | None = None
    https: Proxy | None = None
    all: Proxy | None = None
    no_proxy: tuple[NoProxyEntry, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ProxyEnvironment:
        env = os.environ if environ is None else environ
        no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
        entries = (e for e in re.split(r"[,\s]+", no_proxy.strip().lower()) if e)
        return cls(
            http=_lookup(env, "http_proxy"),
            https=_lookup(env, "https_proxy"),
            all=_lookup(env, "all_proxy"),
            no_proxy=tuple(NoProxyEntry.parse(e) for e in entries),
        )

    def for_url(self, url: str) -> Proxy | None:
        """The proxy a call to ``url`` goes through, or None for a direct connection."""
        proxy, loopback, excluded = self._route(url)
        return None if proxy is None or loopback or excluded else proxy

    def _route(self, url: str) -> tuple[Proxy | None, bool, bool]:
        """(the proxy set for ``url``'s scheme, is ``url`` on loopback, does ``NO_PROXY`` cover it)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        proxy = (self.https if scheme == "https" else self.http if scheme == "http" else None) or self.all
        host = (parts.hostname or "").rstrip(".").lower()
        if proxy is None or not host:
            return None, False, False
        address = _address(host)
        loopback = (
            host == "localhost"
            or host.endswith(".localhost")
            or (address is not None and address.is_loopback)
        )
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            port = 0
        return proxy, loopback, any(entry.matches(host, address, port) for entry in self.no_proxy)


def curl_environment(environ: Mapping[str, str] | None = None) -> ProxyEnvironment:
    """The proxy settings as curl itself reads them (curl(1) ENVIRONMENT, ``lib/noproxy.c``), which
    differs from the app's rule in three ways: ``http_proxy`` is read in lower case only
    (``HTTP_PROXY`` is ignored, against "httpoxy"); ``NO_PROXY`` entries with a port never match (curl
    compares the host name or address alone, so ``127.0.0.1:40919`` covers nothing); and loopback
    gets no exception (see :meth:`ProxyEnvironment._route`'s ``loopback``, which curl ignores)."""
    env = os.environ if environ is None else environ
    app = ProxyEnvironment.from_environ(env)
    http_value = env.get("http_proxy", "").strip()
    return ProxyEnvironment(
        http=Proxy(_normalise(http_value), "http_proxy") if http_value else None,
        https=app.https,
        all=app.all,
        no_proxy=tuple(entry for entry in app.no_proxy if entry.port is None),
    )


def curl_would_proxy(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when a pasted ``curl url`` would go through a proxy where the app goes direct: by
    curl's own reading of the environment (:func:`curl_environment`) a proxy is set for ``url``'s
    scheme and ``NO_PROXY`` does not cover it, while the app's rule (loopback direct, NO_PROXY
    entries with a port for that port) reaches it directly. Printed commands then carry
    ``--noproxy '*'`` so they do what the app did (issue 7, parts 1 and 6; a ``NO_PROXY`` of
    ``127.0.0.1:PORT``, which the app honours and curl ignores, issue 13)."""
    proxy, _loopback, excluded = curl_environment(environ)._route(url)
    if proxy is None or excluded:
        return False
    return ProxyEnvironment.from_environ(environ).for_url(url) is None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _split_port(entry: str) -> tuple[str, int | None]:
    """``host:port`` / ``[v6]:port`` / ``v6`` / ``cidr`` → (host, port or None)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return host, int(port)
    return entry, None


# -- what a person is told ------------------------------------------------------------------------


def _undo(proxy: Proxy) -> str:
    if proxy.source == KUBECONFIG_SOURCE:
        return "remove proxy-url from the kubeconfig's cluster"
    return f"unset {proxy.source}"


def unreachable(where: str, proxy: Proxy, reason: str) -> errors.Unreachable:
    """``cannot reach <where> through proxy <url> (from HTTPS_PROXY) (<reason>)``."""
    return errors.Unreachable(
        f"cannot reach {where} through proxy {proxy.describe()} ({reason})",
        hint=f"check that the proxy answers, add the host to NO_PROXY, or {_undo(proxy)}",
    )


def unsupported(proxy: Proxy, *, client: str, schemes: str, install: str | None) -> errors.InvalidInput:
    """One line for a proxy the installed ``client`` library cannot speak; ``install`` is the pip
    requirement that would teach it (None: no package can)."""
    name = proxy.setting
    if install:
        return errors.InvalidInput(
            f"{name}: {client} needs an extra package for a {proxy.scheme} proxy",
            field=proxy.source,
            hint=f"pip install '{install}', or {_undo(proxy)}",
        )
    return errors.InvalidInput(
        f"{name}: {client} cannot speak the {proxy.scheme} proxy protocol (only {schemes})",
        field=proxy.source,
        hint=f"use a proxy of one of those kinds, or {_undo(proxy)}",
    )
