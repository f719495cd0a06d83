"""What choosing the proxy per request costs (``mlops_tui.services.httpclient.ProxyRouting``).

Why: every call of the app (REST, predictions, the dashboard's polls) now goes through a transport
that reads the URL and applies the proxy rule of ``services/proxy.py`` before httpx sends it, instead
of the client httpx builds by default (``trust_env=True``: its own reading of the same variables,
which sends loopback to the proxy). This measures, side by side against one loopback HTTP server
(keep-alive, a 2-byte JSON answer), the per-request round trip of

- ``httpx.AsyncClient(trust_env=False)``: no proxy logic at all (the floor);
- ``httpx.AsyncClient()`` (``trust_env=True``), what one would use without this project's rule,
  with no proxy variable set (with one set it would not reach loopback at all);
- the app's client (``httpclient.client``) with no proxy variable, and with a shell full of them
  (``https_proxy``/``http_proxy``/``ALL_PROXY`` plus a 6-entry ``NO_PROXY``) that loopback ignores;

and the cost of the rule alone (``ProxyEnvironment.for_url``) for a loopback and a remote URL.
Series are interleaved in blocks so load changes hit them alike. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/proxy_routing.py [--quick] [-n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from mlops_tui.services import httpclient
from mlops_tui.services.proxy import ProxyEnvironment

BUSY_SHELL = {
    "https_proxy": "http://proxy.corp.example:3128",
    "http_proxy": "http://proxy.corp.example:3128",
    "ALL_PROXY": "socks5h://127.0.0.1:1080",
    "NO_PROXY": "localhost,.corp.example,10.0.0.0/8,192.168.0.0/16,gw.example.com:8080,.svc",
}
BLOCKS = 10


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body are two writes: no 40 ms delayed-ACK stall

    def do_GET(self) -> None:
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49] * 1000:6.3f} ms   p90 {q[89] * 1000:6.3f} ms   p99 {q[98] * 1000:6.3f} ms"


async def _series(clients: dict[str, httpx.AsyncClient], url: str, n: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in clients}
    for client in clients.values():  # warm: connection open, TLS/none, pools ready
        for _ in range(20):
            (await client.get(url)).raise_for_status()
    per_block = max(1, n // BLOCKS)
    for _ in range(BLOCKS):
        for name, client in clients.items():
            for _ in range(per_block):
                t0 = time.perf_counter()
                response = await client.get(url)
                times[name].append(time.perf_counter() - t0)
                response.raise_for_status()
    return times


def _rule_cost(environment: ProxyEnvironment, url: str, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        environment.for_url(url)
    return (time.perf_counter() - t0) / n


async def main(n: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/mlops/v1/health"
    timeout = httpx.Timeout(15.0, connect=5.0)
    plain, _ = httpclient.client(timeout=timeout, environment=ProxyEnvironment())
    busy, _ = httpclient.client(timeout=timeout, environment=ProxyEnvironment.from_environ(BUSY_SHELL))
    clients = {
        "httpx, trust_env=False (floor)": httpx.AsyncClient(timeout=timeout, trust_env=False),
        "httpx, trust_env=True (default)": httpx.AsyncClient(timeout=timeout),
        "app client, no proxy variables": plain,
        "app client, busy proxy shell": busy,
    }
    try:
        times = await _series(clients, url, n)
    finally:
        for client in clients.values():
            await client.aclose()
        server.shutdown()
        server.server_close()
    print(f"loopback GET, keep-alive, {n} requests per client in {BLOCKS} interleaved blocks")
    floor = statistics.median(times["httpx, trust_env=False (floor)"])
    for name, samples in times.items():
        ratio = statistics.median(samples) / floor
        print(f"  {name:34} {_percentiles(samples)}   x{ratio:.2f} of the floor (p50)")
    environment = ProxyEnvironment.from_environ(BUSY_SHELL)
    print("the rule alone (ProxyEnvironment.for_url), busy proxy shell:")
    for what, target in (("loopback", url), ("remote, NO_PROXY scanned", "https://gw.example.org:8080/x")):
        print(f"  {what:34} {_rule_cost(environment, target, n * 10) * 1e6:6.2f} µs per call")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 requests per client")
    parser.add_argument("-n", type=int, default=2000, help="requests per client")
    args = parser.parse_args()
    asyncio.run(main(500 if args.quick else args.n))
