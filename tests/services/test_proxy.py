"""The proxy rule every client of the app follows (``mlops_tui.services.proxy``): curl's reading
of ``*_PROXY``/``NO_PROXY`` (lib/noproxy.c), plus kubectl's "loopback is never proxied"."""

from __future__ import annotations

import pytest

from mlops_tui.services import errors, httpclient
from mlops_tui.services.kubernetes import kube
from mlops_tui.services.proxy import (
    KUBECONFIG_SOURCE,
    Proxy,
    ProxyEnvironment,
    check_valid,
    curl_would_proxy,
    redact,
)

DEAD = "http://127.0.0.1:9"


def env(**values: str) -> ProxyEnvironment:
    return ProxyEnvironment.from_environ(values)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api",
        "http://127.9.9.9/",
        "https://localhost:6443",
        "http://LOCALHOST./",
        "http://app.localhost:1/",
        "http://[::1]:8080/",
    ],
)
def test_loopback_is_never_proxied(url: str) -> None:
    every = env(http_proxy=DEAD, HTTP_PROXY=DEAD, https_proxy=DEAD, HTTPS_PROXY=DEAD, ALL_PROXY=DEAD)
    assert every.for_url(url) is None


def test_scheme_variables_lower_case_first_then_all_proxy() -> None:
    e = env(https_proxy="http://lower:1", HTTPS_PROXY="http://upper:2", ALL_PROXY="socks5h://all:3")
    assert e.for_url("https://gw.example.com:8080/x") == Proxy("http://lower:1", "https_proxy")
    assert e.for_url("http://gw.example.com/") == Proxy("socks5h://all:3", "ALL_PROXY")
    assert env(HTTPS_PROXY="proxy.corp:3128").for_url("https://a.b") == Proxy(
        "http://proxy.corp:3128", "HTTPS_PROXY"
    )  # no scheme: http://, as curl
    assert env(http_proxy=DEAD).for_url("https://gw.example.com") is None  # http_proxy is for http://


@pytest.mark.parametrize(
    ("no_proxy", "url", "direct"),
    [
        ("example.com", "https://example.com/", True),
        ("example.com", "https://www.example.com:8443/", True),  # sub-domain, any port
        ("example.com", "https://notexample.com/", False),
        (".example.com", "https://example.com/", True),  # curl ignores the leading dot
        (".example.com", "https://a.b.example.com/", True),
        ("*.example.com", "https://example.com/", True),
        ("example.com.", "https://www.example.com/", True),  # trailing dot ignored
        ("EXAMPLE.com", "https://Www.Example.COM/", True),
        ("other.org, example.com", "https://example.com/", True),  # blanks around commas
        ("other.org example.com", "https://example.com/", True),  # blank-separated too
        ("*", "https://anything.example/", True),
        ("10.0.0.0/8", "https://10.20.30.40:6443/", True),  # CIDR (curl >= 7.86)
        ("10.0.0.0/8", "https://11.0.0.1/", False),
        ("192.168.1.5", "https://192.168.1.5/", True),
        ("fd00::/8", "https://[fd12::1]:6443/", True),
        ("gw.example.com:8080", "https://gw.example.com:8080/", True),  # a port: that port only
        ("gw.example.com:8080", "https://gw.example.com:9443/", False),
        ("gw.example.com:443", "https://gw.example.com/", True),  # default port of the scheme
        ("", "https://gw.example.com/", False),
    ],
)
def test_no_proxy_as_curl(no_proxy: str, url: str, direct: bool) -> None:
    e = env(HTTPS_PROXY=DEAD, NO_PROXY=no_proxy)
    assert (e.for_url(url) is None) is direct


def test_no_proxy_lower_case_wins() -> None:
    e = env(HTTPS_PROXY=DEAD, no_proxy="a.example", NO_PROXY="b.example")
    assert e.for_url("https://a.example/") is None
    assert e.for_url("https://b.example/") is not None


def test_messages_name_the_variable_and_hide_the_password() -> None:
    proxy = Proxy("http://me:s3cret@proxy.corp:3128", "HTTPS_PROXY")
    assert proxy.describe() == "http://me:***@proxy.corp:3128 (from HTTPS_PROXY)"
    assert redact("http://proxy:3128") == "http://proxy:3128"
    assert Proxy("http://p:1", KUBECONFIG_SOURCE).describe() == "http://p:1 (from the kubeconfig's proxy-url)"


MALFORMED = {
    "http://127.0.0.1:99999": "its port 99999 is not a number from 1 to 65535",
    "http://127.0.0.1:abc": "its port abc is not a number from 1 to 65535",
    "http://[::1": "its IPv6 address has no closing ']' (write it as http://[::1]:3128)",
    "socks5://127.0.0.1:-1": "its port -1 is not a number from 1 to 65535",
    "http://proxy:0": "its port 0 is not a number from 1 to 65535",
    "http://:3128": "it names no host (write it as http://HOST:PORT)",
    "http://me:s3cret@[::1": "its IPv6 address has no closing ']' (write it as http://[::1]:3128)",
}


@pytest.mark.parametrize(("value", "said"), MALFORMED.items(), ids=MALFORMED.keys())
def test_a_malformed_proxy_value_is_one_line_naming_the_variable(value: str, said: str) -> None:
    """One check of the value (the libraries raised ValueError, InvalidURL or an ExceptionGroup)."""
    proxy = env(https_proxy=value).for_url("https://gw.example.com:8080/")
    assert proxy is not None and proxy.problem == said
    assert proxy.scheme == value.partition("://")[0]  # reading it never raises
    with pytest.raises(errors.InvalidInput) as caught:
        check_valid(proxy)
    assert (
        str(caught.value) == f"https_proxy={redact(value)}: {said} — correct the value, or unset https_proxy"
    )
    assert "s3cret" not in str(caught.value)
    for client_check in (httpclient.check_supported, kube.check_supported):  # both clients say it
        with pytest.raises(errors.InvalidInput) as caught:
            client_check(proxy)
        assert said in str(caught.value)


@pytest.mark.parametrize(
    "value", ["http://proxy:3128", "https://[::1]:3128", "socks5h://u:p@h:1080", "ftp://h:21"]
)
def test_a_well_formed_proxy_value_has_no_problem(value: str) -> None:
    assert Proxy(value, "HTTPS_PROXY").problem is None


@pytest.mark.parametrize(
    ("environ", "url", "curl_proxies"),
    [
        # the case of issue 13: the app honours the port entry (direct); curl ignores it (proxied)
        ({"http_proxy": DEAD, "NO_PROXY": "127.0.0.1:40919"}, "http://127.0.0.1:40919/p", True),
        ({"http_proxy": DEAD, "NO_PROXY": "127.0.0.1"}, "http://127.0.0.1:40919/p", False),
        ({"http_proxy": DEAD, "NO_PROXY": "127.0.0.0/8"}, "http://127.0.0.1:40919/p", False),
        ({"http_proxy": DEAD}, "http://127.0.0.1:40919/p", True),  # loopback: curl proxies it
        ({"HTTP_PROXY": DEAD}, "http://127.0.0.1:40919/p", False),  # curl reads http_proxy only
        ({"HTTPS_PROXY": DEAD}, "https://localhost:8443/", True),
        ({"ALL_PROXY": DEAD, "no_proxy": "*"}, "http://127.0.0.1:1/", False),
        # remote: the app and curl agree (both proxy), except for an entry with a port
        ({"https_proxy": DEAD}, "https://gw.example.com:8080/", False),
        ({"https_proxy": DEAD, "NO_PROXY": "gw.example.com:8080"}, "https://gw.example.com:8080/", True),
        ({"https_proxy": DEAD, "NO_PROXY": "gw.example.com"}, "https://gw.example.com:8080/", False),
    ],
)
def test_printed_curl_is_judged_by_curls_own_rule(environ: dict, url: str, curl_proxies: bool) -> None:
    assert curl_would_proxy(url, environ) is curl_proxies
