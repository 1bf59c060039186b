"""Charts drawn on the server as SVG, from plain rows: no script, nothing fetched, allowed by the
CSP. Readable without colour: every bar carries its value in words, a bar past the line is also
hatched and marked "over", and the line is dashed and named."""

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, LABEL_WIDTH, VALUE_WIDTH, BAR_HEIGHT, GAP, TOP = 760, 180, 220, 18, 8, 28


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as words, e.g. "1.20% (3 of 250)"


def bar_chart(name: str, title: str, bars: list[Bar], *, line: float | None = None, line_label: str = "") -> Markup:
    """Horizontal bars, with a dashed reference line when given (Stripe's 0.75%, the 180-day reserve)."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = max([line or 0, *(bar.value for bar in bars)]) * 1.1 or 1.0
    height = TOP + max(len(bars), 1) * (BAR_HEIGHT + GAP) + GAP

    def x(value: float) -> float:
        return LABEL_WIDTH + plot * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{name}-title">',
        f'<title id="{name}-title">{escape(title)}</title>',
        f'<defs><pattern id="{name}-over" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="3"/>'
        '</pattern></defs>',
    ]
    if not bars:
        parts.append(f'<text x="{LABEL_WIDTH}" y="{TOP + BAR_HEIGHT}">Nothing to show for these filters.</text>')
    for index, bar in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        over = line is not None and bar.value > line
        parts.append(
            f'<g class="bar{" bar--over" if over else ""}" data-label="{escape(bar.label)}">'
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 4}" text-anchor="end">{escape(bar.label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(x(bar.value) - LABEL_WIDTH, 1):.1f}" height="{BAR_HEIGHT}" '
            f'fill="{f"url(#{name}-over)" if over else "#555"}" stroke="#000"/>'
            f'<text x="{x(bar.value) + 6:.1f}" y="{y + BAR_HEIGHT - 4}">{escape(bar.shown)}{" (over)" if over else ""}</text>'
            '</g>')
    if line is not None:
        parts.append(
            f'<line class="chart-line" x1="{x(line):.1f}" y1="{TOP - 6}" x2="{x(line):.1f}" y2="{height - GAP}" '
            'stroke="#000" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{x(line):.1f}" y="{TOP - 10}" text-anchor="middle">{escape(line_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
