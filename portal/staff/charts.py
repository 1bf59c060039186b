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


def bar_chart(name: str, title: str, bars: list[Bar], *, line: float | None = None, line_label: str = "",
              label_width: int = LABEL_WIDTH) -> Markup:
    """Horizontal bars, with a dashed reference line when given (Stripe's 0.75%, the 180-day reserve)."""
    plot = WIDTH - label_width - VALUE_WIDTH
    top = max([line or 0, *(bar.value for bar in bars)]) * 1.1 or 1.0
    height = TOP + max(len(bars), 1) * (BAR_HEIGHT + GAP) + GAP

    def x(value: float) -> float:
        return label_width + plot * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{name}-title">',
        f'<title id="{name}-title">{escape(title)}</title>',
        f'<defs><pattern id="{name}-over" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="3"/>'
        '</pattern></defs>',
    ]
    if not bars:
        parts.append(f'<text x="{label_width}" y="{TOP + BAR_HEIGHT}">Nothing to show for these filters.</text>')
    for index, bar in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        over = line is not None and bar.value > line
        parts.append(
            f'<g class="bar{" bar--over" if over else ""}" data-label="{escape(bar.label)}">'
            f'<text x="{label_width - 6}" y="{y + BAR_HEIGHT - 4}" text-anchor="end">{escape(bar.label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{max(x(bar.value) - label_width, 1):.1f}" height="{BAR_HEIGHT}" '
            f'fill="{f"url(#{name}-over)" if over else "#555"}" stroke="#000"/>'
            f'<text x="{x(bar.value) + 6:.1f}" y="{y + BAR_HEIGHT - 4}">{escape(bar.shown)}{" (over)" if over else ""}</text>'
            '</g>')
    if line is not None:
        parts.append(
            f'<line class="chart-line" x1="{x(line):.1f}" y1="{TOP - 6}" x2="{x(line):.1f}" y2="{height - GAP}" '
            'stroke="#000" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{x(line):.1f}" y="{TOP - 10}" text-anchor="middle">{escape(line_label)}</text>')
    parts.append("</svg>")
    return _scrolling(name, parts)


# Fills told apart without colour: solid, empty, hatched, dotted, cross-hatched, grey; each named in
# the legend, and every figure is in the table beside the chart.
PATTERNS = (
    ("solid", '<rect width="6" height="6" fill="#333"/>'),
    ("empty", '<rect width="6" height="6" fill="#fff"/>'),
    ("hatched", '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2"/>'),
    ("dotted", '<rect width="6" height="6" fill="#fff"/><circle cx="3" cy="3" r="1.4" fill="#000"/>'),
    ("crossed", '<rect width="6" height="6" fill="#fff"/><path d="M0 0L6 6M6 0L0 6" stroke="#000" stroke-width="1"/>'),
    ("grey", '<rect width="6" height="6" fill="#aaa"/>'),
)


def stacked_chart(name: str, title: str, series: list[str], rows: list[tuple[str, list[int]]]) -> Markup:
    """One bar per row (a day), split into `series` (the states) with a distinct fill each, a legend
    naming every fill, and each row's total in words."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    legend_rows = (len(series) + 2) // 3
    top = TOP + legend_rows * (BAR_HEIGHT + 4)
    most = max((sum(values) for _, values in rows), default=0) or 1
    height = top + max(len(rows), 1) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{name}-title">',
        f'<title id="{name}-title">{escape(title)}</title><defs>',
        *(f'<pattern id="{name}-{index}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
          f'{pattern}</pattern>' for index, (_, pattern) in enumerate(PATTERNS)),
        '</defs>',
    ]
    for index, words in enumerate(series):
        x, y = 10 + (index % 3) * 250, 8 + (index // 3) * (BAR_HEIGHT + 4)
        parts.append(f'<g class="legend"><rect x="{x}" y="{y}" width="{BAR_HEIGHT}" height="{BAR_HEIGHT - 4}" '
                     f'fill="url(#{name}-{index % len(PATTERNS)})" stroke="#000"/>'
                     f'<text x="{x + BAR_HEIGHT + 6}" y="{y + BAR_HEIGHT - 6}">{escape(words)} ({PATTERNS[index % len(PATTERNS)][0]})'
                     '</text></g>')
    if not rows:
        parts.append(f'<text x="{LABEL_WIDTH}" y="{top + BAR_HEIGHT}">Nothing to show for these filters.</text>')
    for row_index, (label, values) in enumerate(rows):
        y, x = top + row_index * (BAR_HEIGHT + GAP), float(LABEL_WIDTH)
        parts.append(f'<g class="bar" data-label="{escape(label)}">'
                     f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 4}" text-anchor="end">{escape(label)}</text>')
        for index, (words, value) in enumerate(zip(series, values)):
            if value:
                width = plot * value / most
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
                             f'fill="url(#{name}-{index % len(PATTERNS)})" stroke="#000"><title>{escape(words)}: {value}</title></rect>')
                x += width
        parts.append(f'<text x="{x + 6:.1f}" y="{y + BAR_HEIGHT - 4}">{sum(values)} in all</text></g>')
    parts.append("</svg>")
    return _scrolling(name, parts)


def _scrolling(name: str, parts: list[str]) -> Markup:
    # On a phone the chart keeps a legible size and scrolls sideways (focusable, so by keyboard too).
    return Markup(f'<div class="chart-scroll" role="region" tabindex="0" aria-labelledby="{name}-title">'
                  + "".join(parts) + "</div>")
