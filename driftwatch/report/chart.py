"""Geometry of the drift timeline: failing controls per snapshot as an inline SVG (pure).

Only numbers and short labels come out of here; the template writes the SVG
elements, so everything still passes through the HTML escaper.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from driftwatch.timeutil import parse_iso

WIDTH, HEIGHT = 760, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 34
MAX_MARKERS = 240  # beyond this a marker per snapshot is noise; the line says it all


def _x(moment: dt.datetime, start: dt.datetime, end: dt.datetime) -> float:
    span = max((end - start).total_seconds(), 1.0)
    ratio = min(max((moment - start).total_seconds() / span, 0.0), 1.0)
    return round(LEFT + ratio * (WIDTH - LEFT - RIGHT), 1)


def timeline_chart(points: list[dict[str, Any]], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """A step line of failing controls over [start, end], with axis ticks and one marker per snapshot."""
    top = max([p["fail"] for p in points] + [4])
    top += (-top) % 4  # a round axis: ticks at quarters
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot_h - (value / top) * plot_h, 1)

    coords = [(_x(parse_iso(p["at"]), start, end), y(p["fail"]), p) for p in points]
    path: list[str] = []
    for index, (x, yy, _p) in enumerate(coords):
        if index:
            path.append(f"{x},{coords[index - 1][1]}")
        path.append(f"{x},{yy}")
    if coords:
        path.append(f"{WIDTH - RIGHT},{coords[-1][1]}")  # the last state holds until now
    markers = [{"x": x, "y": yy, "title": f"{p['label']}: {p['fail']} failing, {p['unknown']} unknown, "
                                          f"{p['waived']} waived" + ("" if p["complete"] else " (incomplete)")}
               for x, yy, p in coords] if len(coords) <= MAX_MARKERS else []
    y_ticks = [{"y": y(v), "label": str(v)} for v in range(0, top + 1, top // 4)]
    x_ticks = []
    for step in range(5):
        moment = start + (end - start) * step / 4
        x_ticks.append({"x": _x(moment, start, end), "label": moment.strftime("%Y-%m-%d")})
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
            "bottom": HEIGHT - BOTTOM, "polyline": " ".join(path), "markers": markers, "y_ticks": y_ticks,
            "x_ticks": x_ticks, "empty": not coords,
            "summary": (f"{len(coords)} snapshots; failing controls from "
                        f"{min(p['fail'] for p in points)} to {max(p['fail'] for p in points)}, "
                        f"now {points[-1]['fail']}") if points else "no snapshot in the period"}
