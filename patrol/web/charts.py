"""Small SVG charts and a zone map for printable pages: no script, so they print as drawn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from markupsafe import Markup, escape

__all__ = ["bar_line_chart", "cell_map", "hbar_chart", "route_map", "zone_map"]

PALETTE = ["#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837"]


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2g}"


def bar_line_chart(
    labels: Sequence[str],
    bars: Sequence[float],
    line: Sequence[float],
    bar_name: str,
    line_name: str,
    title: str,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Bars on the left axis and a line on the right axis, over the same categories."""
    left, right, top, bottom = 48, 56, 28, 34
    w, h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    bmax = max(max(bars, default=0), 1e-9)
    lmax = max(max(line, default=0), 1e-9)
    step = w / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):  # gridlines and the left axis
        y = top + h - h * k / 4
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_num(bmax * k / 4)}</text>'
        )
        parts.append(f'<text x="{left + w + 6}" y="{y + 4:.1f}">{_num(lmax * k / 4)}</text>')
    for i, (label, value) in enumerate(zip(labels, bars, strict=True)):
        bh = h * value / bmax
        x = left + i * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{top + h - bh:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bh:.1f}" class="bar"><title>{escape(label)}: '
            f"{value:g} {escape(bar_name)}</title></rect>"
        )
        parts.append(
            f'<text x="{left + (i + 0.5) * step:.1f}" y="{top + h + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    points = " ".join(
        f"{left + (i + 0.5) * step:.1f},{top + h - h * v / lmax:.1f}" for i, v in enumerate(line)
    )
    parts.append(f'<polyline points="{points}" class="line"/>')
    for i, v in enumerate(line):
        parts.append(
            f'<circle cx="{left + (i + 0.5) * step:.1f}" cy="{top + h - h * v / lmax:.1f}"'
            f' r="3" class="dot"><title>{escape(labels[i])}: {v:.1f} '
            f"{escape(line_name)}</title></circle>"
        )
    parts.append(
        f'<rect x="{left}" y="6" width="10" height="10" class="bar"/>'
        f'<text x="{left + 14}" y="15">{escape(bar_name)} (left)</text>'
        f'<line x1="{left + 200}" x2="{left + 220}" y1="11" y2="11" class="line"/>'
        f'<text x="{left + 224}" y="15">{escape(line_name)} (right)</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def hbar_chart(
    labels: Sequence[str], values: Sequence[float | None], unit: str, title: str, width: int = 640
) -> Markup:
    """Horizontal bars, one per label (no value: a dash)."""
    row, left, right = 22, 230, 120
    height = 12 + row * len(labels)
    vmax = max([v for v in values if v is not None] or [1e-9])
    w = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 6 + i * row
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        if value is None:
            parts.append(f'<text x="{left + 4}" y="{y + 14}">–</text>')
            continue
        bw = w * value / vmax
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{bw:.1f}" height="{row - 6}" '
            f'class="bar"/><text x="{left + bw + 4:.1f}" y="{y + 14}">'
            f"{value:.2f} {escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def zone_map(
    zones_m: Sequence[shapely.Geometry],
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    width: int = 640,
) -> Markup:
    """Zones (metric polygons) shaded in five classes of ``values``, labelled, with a key."""
    union = shapely.union_all(list(zones_m))
    minx, miny, maxx, maxy = union.bounds
    scale = (width - 20) / max(maxx - minx, 1.0)
    height = int((maxy - miny) * scale) + 20
    known = sorted(v for v in values if v is not None)
    breaks = [known[int(q * (len(known) - 1))] for q in (0.2, 0.4, 0.6, 0.8)] if known else []

    def colour(v):
        if v is None:
            return "#eeeeee"
        return PALETTE[int(np.searchsorted(breaks, v, side="right"))]

    def path(geom) -> str:
        out = []
        for poly in shapely.get_parts(geom):
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                pts = " ".join(
                    f"{10 + (x - minx) * scale:.1f},{10 + (maxy - y) * scale:.1f}" for x, y in xy
                )
                out.append(f"M{pts}Z")
        return " ".join(out)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 30}" '
        f'role="img" aria-label="{escape(title)}" class="chart zonemap">',
        f"<title>{escape(title)}</title>",
    ]
    for geom, label, value in zip(zones_m, labels, values, strict=True):
        c = geom.representative_point()
        parts.append(
            f'<path d="{path(geom)}" fill="{colour(value)}" class="zone">'
            f"<title>{escape(label)}: {'–' if value is None else f'{value:.2f}'}"
            f"</title></path>"
        )
        parts.append(
            f'<text x="{10 + (c.x - minx) * scale:.1f}" '
            f'y="{10 + (maxy - c.y) * scale:.1f}" text-anchor="middle" '
            f'class="label">{escape(label)}</text>'
        )
    edges = [known[0], *breaks, known[-1]] if known else []
    for i, fill in enumerate(PALETTE if known else []):
        x = 10 + i * 120
        parts.append(
            f'<rect x="{x}" y="{height + 6}" width="14" height="12" fill="{fill}" '
            f'stroke="#333"/><text x="{x + 18}" y="{height + 16}">'
            f"{edges[i]:.2f}–{edges[i + 1]:.2f}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def cell_map(
    cells: Sequence[tuple[float, float, float, float]], title: str, width: int = 560
) -> Markup:
    """Grid cells (metric squares: lower-left x, y, side, value) shaded in five classes of
    their value; a NaN value (unknown, or suppressed) is grey."""
    return route_map(cells, None, (), title, width, "cellmap")


def route_map(
    cells: Sequence[tuple[float, float, float, float]],
    base_xy: tuple[float, float] | None,
    stops_xy: Sequence[tuple[float, float]],
    title: str,
    width: int = 560,
    kind: str = "routemap",
) -> Markup:
    """A day route over the cells around the base (metric squares shaded in five classes of
    expected finds), the base as a square and the stops numbered in walking order."""
    extra = [base_xy] if base_xy else []
    xs = [c[0] for c in cells] + [c[0] + c[2] for c in cells] + [p[0] for p in extra]
    ys = [c[1] for c in cells] + [c[1] + c[2] for c in cells] + [p[1] for p in extra]
    minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
    scale = (width - 20) / max(maxx - minx, 1.0)
    height = int((maxy - miny) * scale) + 20
    known = sorted(c[3] for c in cells if np.isfinite(c[3]))
    breaks = [known[int(q * (len(known) - 1))] for q in (0.2, 0.4, 0.6, 0.8)] if known else []

    def px(x: float, y: float) -> tuple[float, float]:
        return 10 + (x - minx) * scale, 10 + (maxy - y) * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 30}" '
        f'role="img" aria-label="{escape(title)}" class="chart {kind}">',
        f"<title>{escape(title)}</title>",
    ]
    for x0, y0, side, value in cells:
        fill = (
            "#eeeeee"
            if not np.isfinite(value)
            else PALETTE[int(np.searchsorted(breaks, value, side="right"))]
        )
        left, top = px(x0, y0 + side)
        parts.append(
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{side * scale:.1f}" '
            f'height="{side * scale:.1f}" fill="{fill}" stroke="#fff" stroke-width="0.3"/>'
        )
    if base_xy is not None:
        path = [px(*base_xy), *(px(*p) for p in stops_xy), px(*base_xy)]
        parts.append(
            '<polyline fill="none" stroke="#b30000" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in path)
            + '"/>'
        )
        bx, by = px(*base_xy)
        parts.append(
            f'<rect x="{bx - 5:.1f}" y="{by - 5:.1f}" width="10" height="10" fill="#000"/>'
            f'<text x="{bx + 8:.1f}" y="{by - 6:.1f}" class="label">base</text>'
        )
    for k, p in enumerate(stops_xy, start=1):
        x, y = px(*p)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="#fff" stroke="#b30000" '
            f'stroke-width="2"/><text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
            f'class="label">{k}</text>'
        )
    edges = [known[0], *breaks, known[-1]] if known else []
    for i, fill in enumerate(PALETTE if known else []):
        x = 10 + i * 105
        parts.append(
            f'<rect x="{x}" y="{height + 6}" width="14" height="12" fill="{fill}" '
            f'stroke="#333"/><text x="{x + 18}" y="{height + 16}">'
            f"{edges[i]:.2g}–{edges[i + 1]:.2g}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
