"""How results show themselves: numbers with significant digits (`significant`) and the small HTML tables that
Jupyter displays for a Solution, an Occultation or Predictions (`html_table`). Imports nothing of orbitfit, so any
module can use it."""
from __future__ import annotations

import html
import math


def significant(value, digits=2):
    """`value` with `digits` significant digits: fixed-point from 1e-3 up (0.012, 3.4, 120), else exponent
    (6.3e-07): a sigma of 6.3e-7 printed with six decimals would read 0.000001."""
    value = float(value)
    if value == 0.0 or not math.isfinite(value):
        return f"{value:g}"
    if not 1e-3 <= abs(value) < 1e6:
        return f"{value:.{digits - 1}e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def html_table(rows, caption=None, header=None):
    """A small HTML table: `rows` are sequences of cells (str() of each, escaped); `header` names the columns."""
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(str(caption))}</caption>")
    if header:
        parts.append("<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in header) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    parts.append("</table>")
    return "\n".join(parts)
