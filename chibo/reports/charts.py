"""Charts drawn as inline SVG on the server: no script, no font or file from the internet, the
same picture in the browser, in a screenshot and in print."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 16, 40


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]  # 0–100
    color: str
    style: str  # "bar", "line" or "dashed"


def _y(value: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(100.0, value)) / 100)


def trend_svg(labels: list[str], series: list[Series], *, title: str) -> str:
    """A 0–100 chart of monthly values: bars for the first bar series, lines for the others,
    a gap where a month has no value."""
    n = len(labels)
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / max(n, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 24}" '
             f'role="img" aria-label="{escape(title)}" class="chart" font-family="sans-serif" '
             f'font-size="11">', f"<title>{escape(title)}</title>"]  # fmt: skip
    for tick in (0, 25, 50, 75, 100):
        y = _y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#e3e3e3"/><text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="#666">{tick}%</text>')  # fmt: skip
    for i, label in enumerate(labels):
        x = LEFT + step * (i + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                     f'fill="#444">{escape(label)}</text>')  # fmt: skip
    for s in series:
        if s.style == "bar":
            for i, value in enumerate(s.values):
                if value is None:
                    continue
                x, y = LEFT + step * i + step * 0.2, _y(value)
                parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.6:.1f}" '
                             f'height="{_y(0) - y:.1f}" fill="{s.color}" data-value="{value}">'
                             f"<title>{escape(labels[i])}: {value}%</title></rect>")  # fmt: skip
            continue
        dash = ' stroke-dasharray="6 4"' if s.style == "dashed" else ""
        segment: list[str] = []
        for i, value in enumerate([*s.values, None]):
            if value is not None:
                segment.append(f"{LEFT + step * (i + 0.5):.1f},{_y(value):.1f}")
                continue
            if len(segment) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(segment)}" fill="none" '
                             f'stroke="{s.color}" stroke-width="2.5"{dash}/>')  # fmt: skip
            for point in segment:
                x, y = point.split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{s.color}"/>')
            segment = []
    x = LEFT
    for s in series:  # legend
        dash = ' stroke-dasharray="4 3"' if s.style == "dashed" else ""
        swatch = (f'<rect x="{x}" y="{HEIGHT + 8}" width="12" height="12" fill="{s.color}"/>'
                  if s.style == "bar" else
                  f'<line x1="{x}" x2="{x + 14}" y1="{HEIGHT + 14}" y2="{HEIGHT + 14}" '
                  f'stroke="{s.color}" stroke-width="2.5"{dash}/>')  # fmt: skip
        parts.append(swatch + f'<text x="{x + 18}" y="{HEIGHT + 18}" fill="#333">{escape(s.label)}</text>')
        x += 30 + 7 * len(s.label)
    parts.append("</svg>")
    return "".join(parts)
