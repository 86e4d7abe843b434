"""Bar charts drawn on the server as SVG (no script, no library): one row a label, a bar for each
series. Readable without colour: each series has its own fill pattern, named in the legend, and
every bar carries its number; the table beside each chart is its text alternative."""
from __future__ import annotations

from dataclasses import dataclass

ROW, BAR, GAP, LABEL_WIDTH, BAR_WIDTH, NUMBER_WIDTH = 8, 16, 2, 190, 360, 70
LEGEND = 28
PATTERNS = ("bar-a", "bar-b hatched")  # solid, then hatched


@dataclass(frozen=True)
class Bar:
    y: int
    width: float
    css: str
    text: str  # the number, written at the bar's end
    text_x: float


@dataclass(frozen=True)
class Row:
    label: str
    label_y: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    title: str
    series: list[tuple[str, str]]  # (name, css class)
    rows: list[Row]
    width: int
    height: int
    label_width: int = LABEL_WIDTH

    @property
    def legend(self) -> list[tuple[str, str, int]]:
        """(name, css class, x) of each series' swatch."""
        return [(name, css, LABEL_WIDTH + n * 170) for n, (name, css) in enumerate(self.series)]


def bar_chart(title: str, series: list[str], rows: list[tuple[str, list[float]]],
              show=lambda value: f"{value:,.0f}") -> Chart:
    """Horizontal bars: `rows` of (label, one value per series), scaled to the largest value."""
    top = max((value for _, values in rows for value in values), default=0) or 1
    per_row = len(series) * (BAR + GAP) + ROW
    made, y = [], LEGEND
    for label, values in rows:
        bars = []
        for n, value in enumerate(values):
            width = BAR_WIDTH * value / top
            bar_y = y + n * (BAR + GAP)
            bars.append(Bar(bar_y, round(width, 1), PATTERNS[n % len(PATTERNS)], show(value),
                            LABEL_WIDTH + round(width, 1) + 4))
        made.append(Row(label[:32], y + len(series) * (BAR + GAP) // 2 + 4, bars))
        y += per_row
    return Chart(title, [(name, PATTERNS[n % len(PATTERNS)]) for n, name in enumerate(series)], made,
                 LABEL_WIDTH + BAR_WIDTH + NUMBER_WIDTH, y + ROW)
