"""Small SVG maps for printable pages (zones, grid cells, a day route): metric coordinates,
a key beside the map with a scale bar, north up; no script, so they print as drawn."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import shapely
from babel.numbers import format_decimal
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup, escape

from patrol.i18n import current_language, number

__all__ = ["Classes", "cell_map", "route_map", "scale_bar", "svg_open", "zone_map"]

PALETTE = ["#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837"]
UNKNOWN = "#eeeeee"


def scale_bar(width_m: float, scale: float, x: float, y: float) -> str:
    """An SVG scale bar of a round length (1, 2 or 5 times a power of ten, km or m) about a
    quarter of the map's width, at (x, y); ``scale`` is pixels per metre."""
    target = width_m / 4
    power = 10 ** np.floor(np.log10(max(target, 1.0)))
    length = max(m * power for m in (1, 2, 5) if m * power <= target * 1.0001)
    px = length * scale
    text = (
        gettext("%(n)s km", n=f"{length / 1000:g}")
        if length >= 1000
        else gettext("%(n)s m", n=f"{length:g}")
    )
    name = gettext("Scale bar: %(n)s", n=text)
    return (
        f'<g class="scalebar" aria-label="{escape(name)}">'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{px / 2:.1f}" height="5" fill="#333"/>'
        f'<rect x="{x + px / 2:.1f}" y="{y:.1f}" width="{px / 2:.1f}" height="5" fill="#fff" '
        f'stroke="#333"/><text x="{x:.1f}" y="{y + 17:.1f}">0</text>'
        f'<text x="{x + px:.1f}" y="{y + 17:.1f}" text-anchor="middle">{text}</text></g>'
    )


def _north(x: float, y: float) -> str:
    name = gettext("North is up")
    return (
        f'<g class="north" aria-label="{escape(name)}"><path d="M{x:.1f},{y:.1f} l6,16 l-6,-4 '
        f'l-6,4 Z" fill="#333"/><text x="{x:.1f}" y="{y + 28:.1f}" text-anchor="middle">N'
        "</text></g>"
    )


def _significant(v: float) -> float:
    return float(f"{v:.3g}")  # as precise as the tables print rates


class Classes:
    """Five shades for a map's values: quantile classes, or one shade per distinct value when
    there are five or fewer (four zones with two rates get two shades, not a split of equal
    values by their last floating-point digit)."""

    def __init__(self, known: Sequence[float]) -> None:
        self.known = sorted(_significant(v) for v in known)
        distinct = sorted(set(self.known))
        self.few = len(distinct) <= 5
        if self.few:
            self.breaks = distinct[1:]
            self.spread = len(distinct) - 1
        else:
            k = self.known
            self.breaks = [k[int(q * (len(k) - 1))] for q in (0.2, 0.4, 0.6, 0.8)]

    def index(self, v: float) -> int:
        c = int(np.searchsorted(self.breaks, _significant(v), side="right"))
        if self.few:
            return 2 if self.spread == 0 else round(c * 4 / self.spread)
        return c

    def colour(self, v: float | None) -> str:
        return UNKNOWN if v is None or not np.isfinite(v) else PALETTE[self.index(v)]


MAP_BOX = 360  # the longest side of a map with a key beside it, in viewBox units
LEGEND_W = 250


def _wrap(text: str, chars: int = 32) -> list[str]:
    lines: list[str] = [""]
    for word in text.split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > chars:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def svg_open(width: float, height: float, title: str, kind: str = "") -> list[str]:
    """An SVG figure's opening: its box, and its title for screen readers and tooltips."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="{" ".join(("chart", kind)).strip()}">',
        f"<title>{escape(title)}</title>",
    ]


def _sig(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, in the reader's conventions (``1,5``)."""
    rounded = float(f"{value:.{digits}g}")
    return format_decimal(rounded, format="#,##0.######", locale=current_language())


def _legend(
    classes: Classes,
    x: float,
    y: float,
    title: str,
    unknown: str | None,
    span_m: float,
    scale: float,
) -> tuple[list[str], float]:
    """The key beside a map: its title, each class that holds a value with the range of the
    values in it (few places give few classes, never "15.4–15.4" three times), the grey of
    places with no value (``unknown`` says what grey means) and a scale bar. Returns the
    parts and the key's height."""
    parts = []
    for line in _wrap(title):
        y += 14
        parts.append(f'<text x="{x}" y="{y:.1f}" class="legend-title">{escape(line)}</text>')
    groups: dict[int, list[float]] = {}
    for v in classes.known:
        groups.setdefault(classes.index(v), []).append(v)
    ranges = [(i, m[0], m[-1]) for i, m in sorted(groups.items())]
    # As many significant digits as it takes for the classes' ranges to read differently.
    for digits in range(2, 4):
        texts = [
            _sig(lo, digits)
            if f"{lo:.{digits}g}" == f"{hi:.{digits}g}"
            # (comparing the plain forms: the reader's forms differ only in separators)
            else f"{_sig(lo, digits)} – {_sig(hi, digits)}"
            for _, lo, hi in ranges
        ]
        if len(set(texts)) == len(texts):
            break
    rows = [(PALETTE[i], text) for (i, _, _), text in zip(ranges, texts, strict=True)]
    if unknown:
        rows.append((UNKNOWN, str(unknown)))
    for fill, text in rows:
        y += 20
        parts.append(
            f'<rect x="{x}" y="{y - 11:.1f}" width="16" height="14" fill="{fill}" '
            f'stroke="#333"/><text x="{x + 22}" y="{y:.1f}">{escape(text)}</text>'
        )
    bar_m = min(span_m, (LEGEND_W - 40) / scale)  # the bar fits beside the map
    parts.append(scale_bar(bar_m * 4, scale, x, y + 14))
    return parts, y + 40


def zone_map(
    zones_m: Sequence[shapely.Geometry],
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    width: int = 640,  # without a key beside it; with one, the map's side is MAP_BOX
    legend_title: str = "",
    unknown: str = lazy_gettext("no effort"),
) -> Markup:
    """Zones (metric polygons) shaded in five classes of ``values`` and labelled, with a key
    (its title, the classes, grey for no value), a scale bar and north arrow: it reads on
    paper without the page around it."""
    union = shapely.union_all(list(zones_m))
    minx, miny, maxx, maxy = union.bounds
    scale = MAP_BOX / max(maxx - minx, maxy - miny, 1.0)
    map_w, height = (maxx - minx) * scale + 20, int((maxy - miny) * scale) + 20
    width = int(map_w + LEGEND_W)
    classes = Classes([v for v in values if v is not None])
    key, key_h = _legend(classes, map_w + 10, 4, legend_title or title, unknown, maxx - minx, scale)

    colour = classes.colour

    def path(geom: shapely.Geometry) -> str:
        out = []
        for poly in shapely.get_parts(geom):
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                pts = " ".join(
                    f"{10 + (x - minx) * scale:.1f},{10 + (maxy - y) * scale:.1f}" for x, y in xy
                )
                out.append(f"M{pts}Z")
        return " ".join(out)

    parts = svg_open(width, max(height, key_h), title, "zonemap")
    for geom, label, value in zip(zones_m, labels, values, strict=True):
        c = geom.representative_point()
        parts.append(
            f'<path d="{path(geom)}" fill="{colour(value)}" class="zone">'
            f"<title>{escape(label)}: {number(value, 2)}"
            f"</title></path>"
        )
        parts.append(
            f'<text x="{10 + (c.x - minx) * scale:.1f}" '
            f'y="{10 + (maxy - c.y) * scale:.1f}" text-anchor="middle" '
            f'class="label">{escape(label)}</text>'
        )
    parts += key
    parts.append(_north(map_w - 24, 14))
    parts.append("</svg>")
    return Markup("".join(parts))


def cell_map(
    cells: Sequence[tuple[float, float, float, float]],
    title: str,
    width: int = 560,
    legend_title: str = "",
    unknown: str = lazy_gettext("not known"),
) -> Markup:
    """Grid cells (metric squares: lower-left x, y, side, value) shaded in five classes of
    their value; a NaN value (unknown, or suppressed) is grey. With a key and a scale bar."""
    return route_map(cells, None, (), title, width, "cellmap", legend_title, unknown)


def route_map(
    cells: Sequence[tuple[float, float, float, float]],
    base_xy: tuple[float, float] | None,
    stops_xy: Sequence[tuple[float, float]],
    title: str,
    width: int = 560,
    kind: str = "routemap",
    legend_title: str = "",
    unknown: str = "",
) -> Markup:
    """A day route over the cells around the base (metric squares shaded in five classes of
    expected finds), the base as a square and the stops numbered in walking order."""
    extra = [base_xy] if base_xy else []
    xs = [c[0] for c in cells] + [c[0] + c[2] for c in cells] + [p[0] for p in extra]
    ys = [c[1] for c in cells] + [c[1] + c[2] for c in cells] + [p[1] for p in extra]
    minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
    scale = (width - 20) / max(maxx - minx, 1.0)
    if legend_title:  # a key beside the map: the map fits MAP_BOX
        scale = MAP_BOX / max(maxx - minx, maxy - miny, 1.0)
        width = int((maxx - minx) * scale + 20 + LEGEND_W)
    height = int((maxy - miny) * scale) + 20
    known = sorted(c[3] for c in cells if np.isfinite(c[3]))
    breaks = [known[int(q * (len(known) - 1))] for q in (0.2, 0.4, 0.6, 0.8)] if known else []
    key, key_h = [], height + 30.0
    if legend_title:
        classes = Classes(known)
        key, key_h = _legend(
            classes,
            (maxx - minx) * scale + 30,
            4,
            legend_title,
            unknown or None,
            maxx - minx,
            scale,
        )

    def px(x: float, y: float) -> tuple[float, float]:
        return 10 + (x - minx) * scale, 10 + (maxy - y) * scale

    parts = svg_open(width, max(height, key_h) if legend_title else height + 30, title, kind)
    for x0, y0, side, value in cells:
        if legend_title:
            fill = classes.colour(value)
        else:
            fill = (
                UNKNOWN
                if not np.isfinite(value)
                else PALETTE[int(np.searchsorted(breaks, value, side="right"))]
            )
        left, top = px(x0, y0 + side)
        parts.append(
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{side * scale:.1f}" '
            f'height="{side * scale:.1f}" fill="{fill}" stroke="#fff" stroke-width="0.3"/>'
        )
    parts += _route_marks(base_xy, stops_xy, px)
    parts += key if legend_title else _bottom_key(known, breaks, height)
    parts.append("</svg>")
    return Markup("".join(parts))


def _route_marks(
    base_xy: tuple[float, float] | None,
    stops_xy: Sequence[tuple[float, float]],
    px: Callable[[float, float], tuple[float, float]],
) -> list[str]:
    """The day's route from the base through the stops and back, the base named and the stops
    numbered in walking order."""
    parts = []
    if base_xy is not None:
        path = [px(*base_xy), *(px(*p) for p in stops_xy), px(*base_xy)]
        parts.append(
            '<polyline fill="none" stroke="#b30000" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in path)
            + '"/>'
        )
        bx, by = px(*base_xy)
        base = gettext("base")
        parts.append(
            f'<rect x="{bx - 5:.1f}" y="{by - 5:.1f}" width="10" height="10" fill="#000"/>'
            f'<text x="{bx + 8:.1f}" y="{by - 6:.1f}" class="label">{escape(base)}</text>'
        )
    for k, p in enumerate(stops_xy, start=1):
        x, y = px(*p)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="#fff" stroke="#b30000" '
            f'stroke-width="2"/><text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
            f'class="label">{k}</text>'
        )
    return parts


def _bottom_key(known: list[float], breaks: list[float], height: int) -> list[str]:
    """The five classes' ranges under a map that has no key beside it."""
    parts = []
    edges = [known[0], *breaks, known[-1]] if known else []
    for i, fill in enumerate(PALETTE if known else []):
        x = 10 + i * 105
        parts.append(
            f'<rect x="{x}" y="{height + 6}" width="14" height="12" fill="{fill}" '
            f'stroke="#333"/><text x="{x + 18}" y="{height + 16}">'
            f"{_sig(edges[i], 2)}–{_sig(edges[i + 1], 2)}</text>"
        )
    return parts
