"""Small SVG charts for printable pages (bars and a line, horizontal bars) on round axis
ticks; no script, so they print as drawn. The maps are in patrol.web.maps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from babel.numbers import format_decimal
from flask_babel import gettext
from markupsafe import Markup, escape

from patrol.i18n import current_language, number

# The maps live in patrol.web.maps; the pages know them as charts.*.
from patrol.web.maps import cell_map, route_map, svg_open, zone_map

__all__ = ["bar_line_chart", "cell_map", "hbar_chart", "nice_ticks", "route_map", "zone_map"]


def nice_ticks(vmax: float, count: int = 5, integer: bool = False) -> list[float]:
    """Axis ticks from 0 by a round step (1, 2, 2.5 or 5 times a power of ten) up to the first
    tick at or above ``vmax``: ``nice_ticks(37)`` is ``[0, 10, 20, 30, 40]``. Counts
    (``integer``) step by whole numbers; no data (``vmax`` 0) gives ``[0, 1]``, never an axis
    of 1e-09.

    >>> nice_ticks(37)
    [0.0, 10.0, 20.0, 30.0, 40.0]
    >>> nice_ticks(3, integer=True)
    [0.0, 1.0, 2.0, 3.0]
    """
    if not np.isfinite(vmax) or vmax <= 0:
        return [0.0, 1.0]
    raw = vmax / max(count - 1, 1)
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1.0, float(np.ceil(step)))
    top = step * np.ceil(vmax / step - 1e-9)
    return [float(round(step * k, 10)) for k in range(round(top / step) + 1)]


def _num(v: float) -> str:
    """A tick label in the reader's conventions: thousands separated, no more decimals than the
    value has (``1,250``, ``0.5``; ``1 250``, ``0,5`` in Russian)."""
    return format_decimal(round(v, 2), format="#,##0.##", locale=current_language())


def bar_line_chart(
    labels: Sequence[str],
    bars: Sequence[float | None],
    line: Sequence[float | None],
    bar_name: str,
    line_name: str,
    title: str,
    width: int = 640,
    height: int = 240,
    bars_integer: bool = True,
    note: str | None = None,
) -> Markup:
    """Bars on the left axis and a line on the right axis, over the same categories, on round
    ticks. A None (a month not yet begun) draws nothing and its label is greyed; ``note`` is
    printed under the axis (what a partial period means)."""
    left, right, top, bottom = 48, 56, 28, 34 + (16 if note else 0)
    w, h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    known_bars = [v for v in bars if v is not None]
    known_line = [v for v in line if v is not None]
    bticks = nice_ticks(max(known_bars, default=0), integer=bars_integer)
    lticks = nice_ticks(max(known_line, default=0))
    bmax, lmax = bticks[-1], lticks[-1]
    step = w / n
    parts = svg_open(width, height, title)
    for t in bticks:  # gridlines on the left axis's ticks
        y = top + h - h * t / bmax
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_num(t)}</text>')
    for t in lticks:
        y = top + h - h * t / lmax
        parts.append(
            f'<text x="{left + w + 6}" y="{y + 4:.1f}" class="right-tick">{_num(t)}</text>'
        )
    for i, (label, value) in enumerate(zip(labels, bars, strict=True)):
        cx = left + (i + 0.5) * step
        if value is None:
            parts.append(
                f'<text x="{cx:.1f}" y="{top + h + 16}" text-anchor="middle" class="not-begun">'
                f"{escape(label)}</text>"
            )
            continue
        bh = h * value / bmax
        x = left + i * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{top + h - bh:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bh:.1f}" class="bar"><title>{escape(label)}: '
            f"{_num(value)} {escape(bar_name)}</title></rect>"
        )
        parts.append(
            f'<text x="{cx:.1f}" y="{top + h + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    parts += _line(labels, line, line_name, (left, top, h, step), lmax)
    parts.append(_key(bar_name, line_name, left))
    if note:
        parts.append(f'<text x="{left}" y="{height - 6}" class="note">{escape(note)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _line(
    labels: Sequence[str],
    line: Sequence[float | None],
    line_name: str,
    frame: tuple[float, float, float, float],
    lmax: float,
) -> list[str]:
    """The right axis's line, broken where a value is missing, and a dot per value."""
    left, top, h, step = frame
    parts: list[str] = []
    runs: list[list[str]] = [[]]
    for i, v in enumerate(line):
        if v is None:
            runs.append([])
            continue
        runs[-1].append(f"{left + (i + 0.5) * step:.1f},{top + h - h * v / lmax:.1f}")
    for run in runs:
        if len(run) > 1:
            parts.append(f'<polyline points="{" ".join(run)}" class="line"/>')
    for i, v in enumerate(line):
        if v is None:
            continue
        parts.append(
            f'<circle cx="{left + (i + 0.5) * step:.1f}" cy="{top + h - h * v / lmax:.1f}"'
            f' r="3" class="dot"><title>{escape(labels[i])}: {_num(round(v, 1))} '
            f"{escape(line_name)}</title></circle>"
        )
    return parts


def _key(bar_name: str, line_name: str, left: float) -> str:
    """Which axis is which, above the chart, in the reader's words."""
    left_key = gettext("%(name)s (left axis)", name=bar_name)
    right_key = gettext("%(name)s (right axis)", name=line_name)
    return (
        f'<rect x="{left}" y="6" width="10" height="10" class="bar"/>'
        f'<text x="{left + 14}" y="15">{escape(left_key)}</text>'
        f'<line x1="{left + 230}" x2="{left + 250}" y1="11" y2="11" class="line"/>'
        f'<text x="{left + 254}" y="15">{escape(right_key)}</text>'
    )


def hbar_chart(
    labels: Sequence[str], values: Sequence[float | None], unit: str, title: str, width: int = 640
) -> Markup:
    """Horizontal bars, one per label (no value: a dash)."""
    row, left, right = 22, 230, 120
    height = 12 + row * len(labels)
    known = [v for v in values if v is not None]
    vmax = max(known) if known and max(known) > 0 else 1.0
    w = width - left - right
    parts = svg_open(width, height, title)
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
            f"{number(value, 2)} {escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
