"""Figure conventions: Agg backend, one style, byte-stable PNG and PDF files (no dates in the metadata).

Every figure function has the signature ``fig_<name>(rows, path=None, *, ax=None)``:

* it draws into ``ax`` when given (one ``Axes``, or an array of Axes shaped like the figure's panels), so a
  user can compose the lab's figures into their own, and otherwise into a new figure (``figure_axes``);
* it saves to ``path`` when given (``.png`` or ``.pdf``, by the suffix; ``finish_figure``);
* it returns the ``matplotlib.figure.Figure``, or None when the rows hold nothing for it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 130,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}

FORMATS = ("png", "pdf")  # the file types a figure can be saved as
# metadata keys that would carry a date or a version into the file, set to None for byte-stable output
_STABLE_METADATA = {"png": {"Software": None}, "pdf": {"Creator": None, "Producer": None, "CreationDate": None}}


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs):
    """plt.subplots under the lab's style."""
    with plt.rc_context(STYLE):
        return plt.subplots(nrows, ncols, **kwargs)


def figure_axes(ax=None, nrows: int = 1, ncols: int = 1, **kwargs):
    """``(fig, axes)`` to draw into: a new figure under the lab's style when ``ax`` is None (``kwargs`` go to
    ``plt.subplots``), else ``ax``'s own figure and ``ax`` shaped as ``plt.subplots(nrows, ncols)`` would
    return it (one Axes for a single panel). A wrong number of Axes is a one-line ValueError."""
    if ax is None:
        return new_figure(nrows, ncols, **kwargs)
    import numpy as np

    axes = np.asarray(ax, dtype=object)
    if axes.size != nrows * ncols:
        raise ValueError(f"ax: this figure draws {nrows} x {ncols} panel(s); got {axes.size} Axes")
    if axes.size == 1:
        first = axes.reshape(-1)[0]
        return first.figure, first
    axes = axes.reshape(nrows, ncols)
    return axes.flat[0].figure, (axes.reshape(-1) if 1 in (nrows, ncols) else axes)


def figure_grid(ax=None, nrows: int = 1, ncols: int = 1, **kwargs):
    """``figure_axes`` for a grid of panels whose shape follows the rows: always ``(fig, axes)`` with ``axes``
    a 2-D (nrows, ncols) array, whether the Axes are new or the caller's."""
    import numpy as np

    fig, axes = figure_axes(ax, nrows, ncols, **kwargs)
    return fig, np.asarray(axes, dtype=object).reshape(nrows, ncols)


def figure_title(fig, ax, text: str, **kwargs) -> None:
    """A title over the whole figure, only on a figure the function made itself (``ax`` None): a caller's
    figure keeps its own."""
    if ax is None:
        fig.suptitle(text, **kwargs)


def save_figure(fig, path: str | Path, *, close: bool = True) -> Path:
    """Save as PNG or PDF (by ``path``'s suffix) without dates or versions in the metadata, so an unchanged
    figure is byte-identical; close the figure unless ``close=False``."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"path: a figure is saved as {' or '.join('.' + f for f in FORMATS)}; got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        fig.savefig(path, metadata=_STABLE_METADATA[fmt], bbox_inches="tight")
    if close:
        plt.close(fig)
    return path


def finish_figure(fig, path: str | Path | None, ax=None):
    """The end of every figure function: save ``fig`` to ``path`` when given and return it. A figure the
    function made itself (``ax`` None) is closed after saving; a caller's figure stays open."""
    if path is not None:
        save_figure(fig, path, close=ax is None)
    return fig
