"""The figure contract (plots/_style.py) for the flow, estimators and atlas figures: each draws into a user's
Axes (a subplot grid of the user's own figure), saves byte-stable PNG and PDF, and `tsallis-lab figures
--format png pdf` writes both. Rows: a subset of the committed rows (two flow models, three q), so that
drawing stays fast."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from tsallis_theory.cli import main
from tsallis_theory.plots import draw_figures, figures_of
from tsallis_theory.results import ResultsFile, study_path

RESULTS = Path(__file__).resolve().parents[1] / "experiments" / "results"
FLOW_MODELS, FLOW_QS = ("sigmoid", "chain-random"), (0.0, 0.5, 1.0)
# figure -> its panel grid (nrows, ncols) on the rows of _rows(): what a user passes as ``ax``
PANELS = {
    "flow_escape_times": (1, 2), "flow_slopes": (1, 2), "flow_ratios": (1, 2), "flow_trajectories": (1, 3),
    "flow_near_opt": (1, 1), "estimators_bias_vs_M": (1, 1), "estimators_bias_vs_P": (1, 2),
    "estimators_variance": (1, 1), "atlas_amplification": (1, 1), "atlas_ceiling": (1, 1), "atlas_escape": (2, 3),
}
_CACHE: dict[str, list[dict]] = {}
SAVED = "estimators_bias_vs_P"  # the figure the user-axes test also saves
FAST_STABLE = ("estimators_bias_vs_M",)  # byte-stability in the fast suite; every figure with --runslow


def _rows(study: str) -> list[dict]:
    if study not in _CACHE:
        rows = ResultsFile(study_path(RESULTS, study)).rows()
        if study == "flow":
            rows = [r for r in rows if r["model"] in FLOW_MODELS and r.get("q", 0.0) in FLOW_QS]
        _CACHE[study] = rows
    return _CACHE[study]


def _figure(name: str):
    study = name.split("_")[0]
    return figures_of(study)[name], _rows(study)


def test_every_figure_has_its_panel_grid_listed():
    assert sorted(PANELS) == sorted(n for s in ("flow", "estimators", "atlas") for n in figures_of(s))


def _drawn(panel) -> int:
    return len(panel.lines) + len(panel.collections) + len(panel.patches) + len(panel.images)


@pytest.mark.parametrize("name", sorted(PANELS))
def test_figure_draws_into_the_users_axes(name, tmp_path):
    """Into the lower rows of a user's subplot grid: the figure is the user's, the user's own panel and
    title are untouched, every panel it uses has artists; saving (one figure, to keep the suite fast) leaves
    the user's figure open."""
    fig_fn, rows = _figure(name)
    nrows, ncols = PANELS[name]
    user = plt.figure(figsize=(4 * ncols, 3 * (nrows + 1)))
    grid = user.subplots(nrows + 1, ncols, squeeze=False)
    grid[0, 0].plot([0, 1], [1, 0], label="the user's own curve")
    user.suptitle("the user's title")
    mine = grid[1:]
    ax = mine[0, 0] if nrows * ncols == 1 else (mine[0] if nrows == 1 else mine)
    try:
        path = tmp_path / f"{name}.png" if name == SAVED else None
        out = fig_fn(rows, path, ax=ax)
        assert out is user and plt.fignum_exists(user.number)
        assert path is None or path.stat().st_size > 5_000
        assert len(grid[0, 0].lines) == 1 and user.get_suptitle() == "the user's title"
        used = [p for p in mine.flat if p.get_visible() and p.axison]
        assert used and all(_drawn(p) > 0 for p in used)
        if nrows * ncols > 1:  # a multi-panel figure refuses a single Axes, in one line
            with pytest.raises(ValueError, match=rf"^ax: this figure draws {nrows} x {ncols} panel"):
                fig_fn(rows, ax=grid[0, 0])
    finally:
        plt.close(user)


def _draw_twice(name, fmt, tmp_path):
    fig_fn, rows = _figure(name)
    paths = [tmp_path / f"{name}_{i}.{fmt}" for i in (1, 2)]
    for p in paths:
        assert fig_fn(rows, p) is not None
    return [p.read_bytes() for p in paths]


@pytest.mark.parametrize("fmt", ["png", "pdf"])
@pytest.mark.parametrize("name", FAST_STABLE)
def test_figures_are_byte_stable(name, fmt, tmp_path):
    first, second = _draw_twice(name, fmt, tmp_path)
    assert first == second and first[:4] == (b"\x89PNG" if fmt == "png" else b"%PDF")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["png", "pdf"])
@pytest.mark.parametrize("name", sorted(set(PANELS) - set(FAST_STABLE)))
def test_every_figure_is_byte_stable(name, fmt, tmp_path):
    first, second = _draw_twice(name, fmt, tmp_path)
    assert first == second


def test_atlas_escape_has_one_panel_per_q_and_theory_beside_each_series():
    """Small multiples: a panel per q of the J_Q family and one for the other methods; each measured series
    has a dotted theory line of its own colour, and no legend holds more than 7 entries."""
    rows = _rows("atlas")
    esc = [r for r in rows if r.get("kind") == "escape"]
    fig = figures_of("atlas")["atlas_escape"](rows)
    try:
        titles = [a.get_title() for a in fig.axes if a.get_title()]
        assert titles[:4] == ["q = 0.25: GARL / J_Q", "q = 0.5: GARL / J_Q", "q = 0.75: GARL / J_Q",
                              "q = 1: IWAE / log-likelihood"]
        assert titles[4].startswith("other methods")
        series = [ln for a in fig.axes for ln in a.lines if len(ln.get_xdata()) and ln.get_linestyle() != ":"]
        theory = [ln for a in fig.axes for ln in a.lines if len(ln.get_xdata()) and ln.get_linestyle() == ":"]
        assert len(series) == len(theory) == len(esc)
        legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None]
        assert legends and max(len(lg.get_texts()) for lg in legends) <= 7
        assert all(a.get_xscale() == a.get_yscale() == "log" for a in fig.axes if a.lines)
    finally:
        plt.close(fig)


def test_draw_figures_writes_png_and_pdf_and_the_cli_takes_format(tmp_path, capsys):
    """`tsallis-lab figures --format png pdf`: both files per figure; default png only."""
    results = tmp_path / "rows"
    results.mkdir()
    src = study_path(RESULTS, "estimators").read_text().splitlines()
    # the header, the task markers and one sweep's rows: one figure to draw
    keep = [line for line in src if "sweep" not in (r := json.loads(line)) or r["sweep"] == "bias_vs_M"]
    study_path(results, "estimators").write_text("\n".join(keep) + "\n")
    assert main(["figures", "--results", str(results), "--figures", str(tmp_path / "f"),
                 "--format", "png", "pdf"]) == 0
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["estimators_bias_vs_M.pdf",
                                                                  "estimators_bias_vs_M.png"]
    assert (tmp_path / "f" / "estimators_bias_vs_M.pdf").read_bytes()[:4] == b"%PDF"
    capsys.readouterr()
    assert main(["figures", "--results", str(results), "--figures", str(tmp_path / "g"), "--format", "svg"]) == 2
    assert "--format" in capsys.readouterr().err
    with pytest.raises(ValueError, match="formats"):
        draw_figures("atlas", [], tmp_path, formats=("eps",))


def test_figure_grid_shapes_the_callers_axes():
    from tsallis_theory.plots._style import figure_grid

    user = plt.figure()
    try:
        axes = user.subplots(2, 2)
        fig, grid = figure_grid(axes, 2, 2)
        assert fig is user and grid.shape == (2, 2) and grid[1, 0] is axes[1, 0]
        fig, grid = figure_grid(axes[0, 0], 1, 1)
        assert grid.shape == (1, 1) and grid[0, 0] is axes[0, 0]
        with pytest.raises(ValueError, match="this figure draws 1 x 3"):
            figure_grid(np.asarray(axes).ravel()[:2], 1, 3)
    finally:
        plt.close(user)
