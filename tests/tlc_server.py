"""A stand-in for the TLC's file server on loopback: serves files with ETag, Range and If-Range, and
can drop a response half-way (an interrupted download), recording what it was asked."""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class TlcServer:
    files: dict[str, bytes]  # URL path -> content
    cut_after: int | None = None  # drop the next `cuts` responses after this many body bytes
    cuts: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def etag(self, path: str) -> str:
        return '"' + hashlib.md5(self.files[path]).hexdigest() + '"'

    def __enter__(self) -> TlcServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                owner.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                body = owner.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = owner.etag(self.path)
                start, status = 0, 200
                wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
                if wanted and self.headers.get("If-Range", etag) == etag:
                    start, status = int(wanted.group(1)), 206
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                part = body[start:]
                self.send_response(status)
                self.send_header("ETag", etag)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(part)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                if owner.cuts and owner.cut_after is not None:
                    owner.cuts -= 1
                    self.wfile.write(part[: owner.cut_after])
                    self.wfile.flush()
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(2)  # the connection drops mid-file
                    return
                self.wfile.write(part)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


def small_zone_shapefile(dest: Path) -> dict[int, tuple[float, float]]:
    """A zip like the TLC's taxi_zones.zip (EPSG:2263 feet, .prj, LocationID/zone/borough fields)
    with zones 68 (one square), 56 (two squares, as in the TLC's file) and 132; returns the
    centroid each zone must get, as (lat, lon)."""
    import io
    import zipfile

    import pyproj
    import shapefile

    to_feet = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2263", always_xy=True)
    to_degrees = pyproj.Transformer.from_crs("EPSG:2263", "EPSG:4326", always_xy=True)
    centres = {
        68: [(40.7480, -74.0005)],
        56: [(40.7440, -73.8630), (40.7520, -73.8560)],
        132: [(40.6413, -73.7781)],
    }
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    expected: dict[int, tuple[float, float]] = {}
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as writer:
        writer.field("OBJECTID", "N")
        writer.field("zone", "C", size=40)
        writer.field("LocationID", "N")
        writer.field("borough", "C", size=20)
        n = 0
        for location_id, points in centres.items():
            xs, ys = [], []
            for lat, lon in points:
                x, y = to_feet.transform(lon, lat)
                half = 800.0
                writer.poly(
                    [
                        [
                            (x - half, y - half),
                            (x - half, y + half),
                            (x + half, y + half),
                            (x + half, y - half),
                            (x - half, y - half),
                        ]
                    ]
                )
                n += 1
                writer.record(n, f"zone {location_id}", location_id, "Queens")
                xs.append(x)
                ys.append(y)
            lon, lat = to_degrees.transform(sum(xs) / len(xs), sum(ys) / len(ys))
            expected[location_id] = (lat, lon)
    prj = pyproj.CRS("EPSG:2263").to_wkt(pyproj.enums.WktVersion.WKT1_ESRI)
    with zipfile.ZipFile(dest, "w") as archive:
        for name, data in (("taxi_zones.shp", shp), ("taxi_zones.shx", shx), ("taxi_zones.dbf", dbf)):
            archive.writestr(f"taxi_zones/{name}", data.getvalue())
        archive.writestr("taxi_zones/taxi_zones.prj", prj)
    return expected
