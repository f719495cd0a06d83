"""The taxi zone table the app uses: real centroids from the TLC's shapefile once fetched, else the
built-in hand-compiled ones, labelled approximate.

``mlops-tui data fetch zones`` downloads ``taxi_zones.zip`` (the TLC's zone shapes, in NY State
Plane Long Island feet, EPSG:2263), and :func:`build_from_shapefile` turns it into our zone table:
each zone's shapes are read with pyshp, merged and their area centroid taken with shapely in the
projected plane (where areas are true), then the centroid is moved to WGS84 latitude/longitude with
pyproj. Names, boroughs and the typing aliases stay those of the built-in table (both come from the
TLC's lookup); 264/265 (unknown) keep no coordinates. The table is written to
``$XDG_DATA_HOME/mlops-tui/taxi_zones.csv``; from then on the guide's rides, the Predict form's
distance estimates and the lab code shipped for training (its ``zones.csv``) all use it.

pyshp, shapely and pyproj are imported only while building (``data fetch zones``), never when the
TUI starts (``benchmarks/cli_import.py``). Why these three: ``docs/data.md``.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_tui import config
from mlops_tui.lab_scripts.zones import Zone, ZoneTable, load_zones, write_zones

FILE_NAME = "taxi_zones.csv"
SHAPEFILE_CRS = "EPSG:2263"  # NAD83 / New York Long Island (ftUS): the TLC shapefile's, when no .prj


class ShapefileError(ValueError):
    """The zip is not the TLC zone shapefile (no .shp, no LocationID field, unreadable)."""


def fetched_path() -> Path:
    return config.data_home() / FILE_NAME


def zone_table() -> ZoneTable:
    """The fetched table when there is a readable one, else the built-in (approximate) table."""
    path = fetched_path()
    if path.is_file():
        try:
            table = load_zones(path)
        except (OSError, ValueError):
            return load_zones()
        if len(table):
            return table
    return load_zones()


def describe(table: ZoneTable) -> str:
    """How good the table's coordinates are, in one phrase for people."""
    if table.approximate:
        return "approximate zone centroids (built in, about 1 km; `mlops-tui data fetch zones` replaces them)"
    return "zone centroids computed from the TLC's zone shapefile"


def lab_zones_file() -> Path | None:
    """The zone table to ship as the lab code's ``zones.csv``: the fetched one, if any."""
    path = fetched_path()
    return path if path.is_file() else None


def _members(archive: zipfile.ZipFile) -> dict[str, bytes]:
    shp = [n for n in archive.namelist() if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    if not shp:
        raise ShapefileError("the zip holds no .shp file (expected the TLC's taxi_zones.zip)")
    stem = shp[0][:-4]
    parts = {}
    for ext in ("shp", "shx", "dbf", "prj"):
        for name in (f"{stem}.{ext}", f"{stem}.{ext.upper()}"):
            if name in archive.namelist():
                parts[ext] = archive.read(name)
                break
    for needed in ("shp", "dbf"):
        if needed not in parts:
            raise ShapefileError(f"the zip holds no .{needed} beside {shp[0]}")
    return parts


def read_centroids(zip_path: Path) -> tuple[dict[int, tuple[float, float, str, str]], str]:
    """{LocationID: (lat, lon, zone, borough)} from the shapefile in ``zip_path``, and its CRS.

    Raises ShapefileError when the zip is not a zone shapefile.
    """
    import pyproj
    import shapefile  # pyshp
    import shapely
    from shapely.geometry import shape as to_geometry

    try:
        with zipfile.ZipFile(zip_path) as archive:
            parts = _members(archive)
    except zipfile.BadZipFile as exc:
        raise ShapefileError(f"{zip_path.name} is not a zip file: {exc}") from None
    crs = pyproj.CRS.from_wkt(parts["prj"].decode("latin-1")) if "prj" in parts else pyproj.CRS(SHAPEFILE_CRS)
    try:
        reader = shapefile.Reader(
            shp=io.BytesIO(parts["shp"]),
            shx=io.BytesIO(parts["shx"]) if "shx" in parts else None,
            dbf=io.BytesIO(parts["dbf"]),
        )
        fields = {f[0].lower(): f[0] for f in reader.fields[1:]}
        if "locationid" not in fields:
            raise ShapefileError(f"the shapefile has no LocationID field (fields: {', '.join(fields)})")
        shapes: dict[int, list[Any]] = {}
        names: dict[int, tuple[str, str]] = {}
        for item in reader.iterShapeRecords():
            record = item.record.as_dict()
            location_id = int(record[fields["locationid"]])
            shapes.setdefault(location_id, []).append(to_geometry(item.shape.__geo_interface__))
            names[location_id] = (
                str(record.get(fields.get("zone", ""), "") or ""),
                str(record.get(fields.get("borough", ""), "") or ""),
            )
    except ShapefileError:
        raise
    except Exception as exc:  # pyshp's and shapely's errors for a damaged file
        raise ShapefileError(f"cannot read the shapefile in {zip_path.name}: {exc}") from None
    to_wgs84 = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    out = {}
    for location_id, geometries in shapes.items():
        centre = shapely.union_all(geometries).centroid  # planar feet: true area centroid
        lon, lat = to_wgs84.transform(centre.x, centre.y)
        out[location_id] = (float(lat), float(lon), *names[location_id])
    return out, crs.to_string()


def build_from_shapefile(zip_path: Path) -> ZoneTable:
    """Our zone table with the shapefile's centroids (see the module doc)."""
    centroids, _ = read_centroids(zip_path)
    builtin = load_zones()
    zones: list[Zone] = []
    for zone in builtin:
        found = centroids.get(zone.location_id)
        if found is None:
            zones.append(zone)
        else:
            lat, lon, _, _ = found
            zones.append(
                Zone(
                    zone.location_id,
                    zone.zone,
                    zone.borough,
                    round(lat, 6),
                    round(lon, 6),
                    zone.aliases,
                    "shapefile",
                )
            )
    for location_id, (lat, lon, name, borough) in sorted(centroids.items()):
        if location_id not in builtin:
            zones.append(Zone(location_id, name, borough, round(lat, 6), round(lon, 6), (), "shapefile"))
    return ZoneTable(zones)


def install(table: ZoneTable, source: dict[str, Any]) -> Path:
    """Write the table where the app reads it (atomically), with a record of where it came from."""
    path = fetched_path()
    config.ensure_private_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    write_zones(table, tmp)
    tmp.replace(path)
    record = {**source, "zones": len(table), "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path.with_name(path.name + ".json").write_text(json.dumps(record, indent=1) + "\n")
    return path
