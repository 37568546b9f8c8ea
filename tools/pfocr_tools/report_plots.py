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

from .report_worker import Plot  # noqa: E402

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


def _render(name: str, title: str, fig: Figure, heading) -> Plot:
    """The PNG of ``fig`` (one axes; ``heading``: its title, set with ``y=1.0`` so drawing does
    not search the axes for room above it)."""
    canvas = FigureCanvasAgg(fig)
    _place(fig, fig.axes[0], heading, canvas.get_renderer())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    png = buf.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return Plot(name, title, png, width, height)


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI)


#: Space between the outermost text and the figure's edge (constrained layout's default pad).
PAD_PT = 3.0
#: The axes keeps at least this share of the figure's width and height, however long the
#: labels around it.
MIN_AXES = 0.2


def _place(fig: Figure, ax, title, renderer) -> None:
    """Place the axes so the texts around it just fit inside the figure: the margins are the
    measured extents of the tick labels, axis labels, title, legend and texts beyond the axes
    (each measured once), the same placement as constrained layout's within 0.01 px, without
    its repeated tight bounding boxes and its extra draw.

    Tick labels and axis labels hang from the axes at fixed offsets (points), so how far they
    reach beyond it does not depend on where it is; which ticks there are does (the locators
    pick them from the axes' size), hence a second round once the size is near its final value.
    """
    px = fig.dpi / 72  # pixels per point
    width, height = fig.bbox.width, fig.bbox.height
    pad = PAD_PT * px
    legend = ax.get_legend()
    for _ in range(2):
        box = ax.bbox
        xticks, yticks = _tick_boxes(ax.xaxis, renderer), _tick_boxes(ax.yaxis, renderer)
        below = max([box.y0 - b.y0 for b in xticks], default=0.0)
        left = max([box.x0 - b.x0 for b in yticks], default=0.0)
        right = max([b.x1 - box.x1 for b in xticks], default=0.0)
        above = title.get_window_extent(renderer).y1 - box.y1
        if ax.xaxis.label.get_text():  # below the tick labels (or the axes)
            below = max(below, 0.0) + ax.xaxis.labelpad * px \
                + ax.xaxis.label.get_window_extent(renderer).height
        if ax.yaxis.label.get_text():
            left = max(left, 0.0) + ax.yaxis.labelpad * px \
                + ax.yaxis.label.get_window_extent(renderer).width
        others = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()]
        if legend is not None:
            others.append(legend.get_window_extent(renderer))
        for other in others:  # value labels beside bars, cut-off labels, the legend
            above = max(above, other.y1 - box.y1)
            right = max(right, other.x1 - box.x1)
            below = max(below, box.y0 - other.y0)
            left = max(left, box.x0 - other.x0)
        x0 = min((max(left, 0.0) + pad) / width, 1 - MIN_AXES)
        y0 = min((max(below, 0.0) + pad) / height, 1 - MIN_AXES)
        ax.set_position((x0, y0, max(1 - x0 - (max(right, 0.0) + pad) / width, MIN_AXES),
                         max(1 - y0 - (max(above, 0.0) + pad) / height, MIN_AXES)))


def _tick_boxes(axis, renderer) -> list:
    """Extents of the tick labels drawn on ``axis`` (those of ticks inside its view)."""
    labels = axis.get_ticklabels()  # updates the ticks: the same order as the locations
    low, high = sorted(axis.get_view_interval())
    slack = (high - low) * 1e-9
    return [label.get_window_extent(renderer)
            for loc, label in zip(axis.get_majorticklocs(), labels, strict=False)
            if low - slack <= loc <= high + slack and label.get_text()]


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
        heading = ax.set_title(title, y=1.0)
        _legend_top_right(ax)
        return _render("organisms", title, fig, heading)


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
        heading = ax.set_title(title, y=1.0, pad=14)
        ax.legend(loc="upper right", frameon=False, fontsize=8)
        return _render(name, title, fig, heading)


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
        heading = ax.set_title(title, y=1.0)
        return _render("years", title, fig, heading)


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
        heading = ax.set_title(title, y=1.0)
        return _render("top-genes", title, fig, heading)


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
        heading = ax.set_title(title, y=1.0)
        return _render("remap-status", title, fig, heading)

