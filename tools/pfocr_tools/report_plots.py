"""Plots for pfocr-report: matplotlib (Agg canvas, no pyplot state) -> deterministic PNG bytes.

Every function takes plain Python data and returns PNG bytes. The same data and the same
matplotlib give byte-identical PNGs: no timestamps or software tags in the metadata, bundled
DejaVu fonts, fixed sizes and resolution.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg", force=False)

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Resolution of the embedded PNGs; the HTML shows them at 96 CSS px per inch (sharp on HiDPI).
DPI = 144
CSS_DPI = 96
#: Every plot is this wide (inches): the page shows them all at WIDTH_IN * CSS_DPI CSS px.
WIDTH_IN = 8.0

KEPT = "#2a6f97"
DROPPED = "#b8c7d3"
CUTOFF = "#c0392b"
STATUS_COLORS = {
    "mapped": "#2a9d8f",
    "ambiguous": "#e9c46a",
    "unmapped": "#e76f51",
    "retired-replaced": "#8d6cab",
}
OTHER = "#999999"

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "svg.hashsalt": "pfocr-report",
    "path.simplify": True,
}


class Plot:
    """A rendered plot: PNG bytes and its size in pixels."""

    def __init__(self, name: str, title: str, png: bytes, width: int, height: int):
        self.name = name
        self.title = title
        self.png = png
        self.width = width
        self.height = height


def _render(name: str, title: str, fig: Figure) -> Plot:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    png = buf.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return Plot(name, title, png, width, height)


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _int_axis(ax, axis: str = "x", nbins: int | str = "auto") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(integer=True, nbins=nbins))
    target.set_major_formatter(FuncFormatter(lambda value, _pos: f"{int(value):,}"))


def _legend_top_right(ax) -> None:
    """The legend in one row above the plot, right-aligned (the title is left-aligned)."""
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, frameon=False,
              fontsize=8, borderaxespad=0.2)


def organisms_bar(labels: Sequence[str], kept: Sequence[int], dropped: Sequence[int],
                  min_size: int, max_size: int | None,
                  italic: Sequence[bool] | None = None) -> Plot:
    """Horizontal stacked bars: gene sets per organism, kept vs. outside the size cut-offs."""
    title = "Figures per organism"
    italic = italic if italic is not None else [True] * len(labels)
    with matplotlib.rc_context(_RC):
        n = len(labels)
        fig = _figure(WIDTH_IN, 1.2 + 0.28 * max(n, 1))
        ax = fig.add_subplot()
        y = list(range(n))
        ax.barh(y, kept, color=KEPT, label="in the library")
        cut = f"size < {min_size}" + (f" or > {max_size}" if max_size is not None else "")
        ax.barh(y, dropped, left=kept, color=DROPPED, label=f"outside the cut-offs ({cut})")
        ax.set_yticks(y, labels=labels)
        for label, species in zip(ax.get_yticklabels(), italic, strict=True):
            label.set_fontstyle("italic" if species else "normal")
        ax.invert_yaxis()
        total = [k + d for k, d in zip(kept, dropped, strict=True)]
        top = max(total) if total else 1
        for yi, k, t in zip(y, kept, total, strict=True):
            ax.text(t + top * 0.01, yi, f"{k:,}" if k == t else f"{k:,} / {t:,}",
                    va="center", fontsize=8)
        ax.set_xlim(0, top * 1.15 + 1)
        _int_axis(ax, "x")
        ax.set_xlabel("figures (one gene set per figure and organism)")
        ax.set_title(title)
        _legend_top_right(ax)
        return _render("organisms", title, fig)


def size_histogram(sizes: Sequence[int], min_size: int, max_size: int | None,
                   name: str = "set-sizes", title: str = "Gene-set sizes") -> Plot:
    """Histogram of gene-set sizes with the min/max cut-offs marked."""
    with matplotlib.rc_context(_RC):
        fig = _figure(WIDTH_IN, 3.4)
        ax = fig.add_subplot()
        biggest = max(sizes) if sizes else 1
        width = max(1, math.ceil(biggest / 60))
        edges = [0.5 + i * width for i in range(biggest // width + 2)]
        inside = [s for s in sizes if s >= min_size and (max_size is None or s <= max_size)]
        outside = [s for s in sizes if not (s >= min_size and (max_size is None or s <= max_size))]
        ax.hist([inside, outside], bins=edges, stacked=True, color=[KEPT, DROPPED],
                label=["in the library", "outside the cut-offs"])
        label = {"color": CUTOFF, "va": "bottom", "fontsize": 8.5,
                 "transform": ax.get_xaxis_transform()}
        ax.axvline(min_size - 0.5, color=CUTOFF, linestyle="--", linewidth=1.2)
        ax.text(min_size - 0.5, 1.01, f"min {min_size}", ha="center", **label)
        right = max(biggest, min_size) + width + 0.5
        if max_size is not None and max_size + 0.5 <= right:
            ax.axvline(max_size + 0.5, color=CUTOFF, linestyle="--", linewidth=1.2)
            ax.text(max_size + 0.5, 1.01, f"max {max_size}", ha="center", **label)
        elif max_size is not None:
            ax.text(right, 1.01, f"max {max_size} \u2192", ha="right", **label)
        ax.set_xlim(0, right)
        _int_axis(ax, "x")
        _int_axis(ax, "y")
        ax.set_xlabel("genes per set" + (f" (bins of {width})" if width > 1 else ""))
        ax.set_ylabel("gene sets")
        ax.set_title(title, pad=14)
        ax.legend(loc="upper right", frameon=False, fontsize=8)
        return _render(name, title, fig)


def years_bar(years: Sequence[int], counts: Sequence[int], unknown: int) -> Plot:
    """Figures per publication year (every year between the first and last shown)."""
    title = "Figures per publication year"
    with matplotlib.rc_context(_RC):
        fig = _figure(WIDTH_IN, 3.0)
        ax = fig.add_subplot()
        if years:
            span = list(range(min(years), max(years) + 1))
            by_year = dict(zip(years, counts, strict=True))
            ax.bar(span, [by_year.get(y, 0) for y in span], color=KEPT, width=0.8)
            step = max(1, math.ceil(len(span) / 20))
            ax.set_xticks(span[::step], labels=[str(y) for y in span[::step]],
                          rotation=45 if len(span) > 12 else 0)
        _int_axis(ax, "y")
        ax.set_ylabel("figures")
        ax.set_xlabel("year" + (f"  ({unknown:,} figures without a year not shown)"
                                if unknown else ""))
        ax.set_title(title)
        return _render("years", title, fig)


def top_genes_bar(labels: Sequence[str], counts: Sequence[int]) -> Plot:
    """Horizontal bars: the genes found in the most figures."""
    title = f"Top {len(labels)} genes by number of figures"
    with matplotlib.rc_context(_RC):
        fig = _figure(WIDTH_IN, 1.0 + 0.24 * max(len(labels), 1))
        ax = fig.add_subplot()
        y = list(range(len(labels)))
        ax.barh(y, counts, color=KEPT)
        ax.set_yticks(y, labels=labels, fontsize=8.5)
        ax.invert_yaxis()
        top = max(counts) if counts else 1
        for yi, c in zip(y, counts, strict=True):
            ax.text(c + top * 0.01, yi, f"{c:,}", va="center", fontsize=8)
        ax.set_xlim(0, top * 1.1 + 1)
        _int_axis(ax, "x")
        ax.set_xlabel("figures whose gene set has the gene")
        ax.set_title(title)
        return _render("top-genes", title, fig)


def status_bar(labels: Sequence[str], counts: Sequence[int]) -> Plot:
    """Horizontal bars: remap status breakdown."""
    title = "Remap status"
    with matplotlib.rc_context(_RC):
        fig = _figure(WIDTH_IN, 1.1 + 0.32 * max(len(labels), 1))
        ax = fig.add_subplot()
        y = list(range(len(labels)))
        total = sum(counts) or 1
        ax.barh(y, counts, color=[STATUS_COLORS.get(lbl, OTHER) for lbl in labels])
        ax.set_yticks(y, labels=labels)
        ax.invert_yaxis()
        top = max(counts) if counts else 1
        for yi, c in zip(y, counts, strict=True):
            ax.text(c + top * 0.01, yi, f"{c:,} ({100 * c / total:.1f}%)", va="center",
                    fontsize=8)
        ax.set_xlim(0, top * 1.25 + 1)
        _int_axis(ax, "x")
        ax.set_xlabel("queries (rows of the remap report)")
        ax.set_title(title)
        return _render("remap-status", title, fig)

