"""Escape times across the q-continuum: every model × p0 × q, and the NEAR-OPT passage times, as result rows
(claims FLOW, ESC-LOWER, ESC-TIGHT, SIGMOID, NEAR-OPT; docs/flow.md).

Under the gradient flow dθ/dt = −∇ℓ_q, d ln P/dt = P^{1−q}‖s‖² (FLOW), and the escape time from p0 to δ
obeys I/C² ≤ T_q ≤ I/c² with I = ∫_{p0}^{δ} u^{q−2} du and c ≤ ‖s‖ ≤ C on the path (ESC-LOWER, ESC-TIGHT):
ln T against ln(1/p0) has slope 1 − q as p0 → 0. Rows (``results.run_tasks`` into ``out/flow.jsonl``), one
task per (kind, model, p0 or ε0), all q of a task in one solve:

* ``kind="escape"``: model, p0, target, q, T, method ("quad" or "ode"), score_min/score_max (min/max ‖s‖
  between p0 and δ), I (= ∫_{p0}^{δ} u^{q−2} du), lower = I/score_max², upper = I/score_min²,
  event_residual.
* ``kind="near_opt"``: model, eps0, eps1, q, T (time from P = 1 − ε0 to 1 − ε1), or ``applicable=False``
  with the reason when the model cannot reach 1 − ε0.
* ``kind="trajectory"``: model, p0, q, and lists t, log_p, score_norm along the escape path (for figures).

Figures and checks read rows; they never rerun them (``tsallis_theory.flow.fits`` analyses them).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from tsallis_theory import _validate as V
from tsallis_theory.flow import fits
from tsallis_theory.flow.escape import Q_RANGE, escape_integral, escape_record, passage_time, trajectory
from tsallis_theory.flow.models import MODEL_NAMES, get_model
from tsallis_theory.results import run_tasks, study_path
from tsallis_theory.studies._fields import config_field

STUDY = "flow"


def _grid(lo_exp, hi_exp, per_decade):
    n = int(round((hi_exp - lo_exp) * per_decade)) + 1
    return tuple(float(10.0 ** e) for e in np.linspace(hi_exp, lo_exp, n))


@dataclasses.dataclass(frozen=True)
class Config:
    """One sweep of escape times: every model × p0 × q, NEAR-OPT passages and trajectories."""

    models: tuple[str, ...] = config_field(MODEL_NAMES, f"flow models (default: all of {', '.join(MODEL_NAMES)})",
                                           "NAME")
    qs: tuple[float, ...] = config_field(tuple(round(0.1 * i, 10) for i in range(11)),
                                         "commitments q, each in [0, 1] (default: 0, 0.1, ..., 1)", "Q")
    p0s: tuple[float, ...] = config_field(_grid(-12, -1, 2), "initial success probabilities p0, each in (0, target) "
                                          "(default: 23 values 1e-1 ... 1e-12, two per decade)", "P0")
    target: float = config_field(0.5, "escape target δ in (0, 1) (default: 0.5)", "DELTA")
    near_opt_eps0: tuple[float, ...] = config_field((1e-1, 1e-2, 1e-3), "NEAR-OPT start gaps ε0, each in (0, 1): the "
                                                    "passage from P = 1 − ε0 to 1 − ε0·near_opt_ratio", "EPS0")
    near_opt_ratio: float = config_field(1e-2, "ε1/ε0 of the NEAR-OPT passage, in (0, 1)", "RATIO")
    trajectory_p0: float = config_field(1e-12, "p0 of the recorded trajectories (figures), in (0, target)", "P0")
    trajectory_qs: tuple[float, ...] = config_field((0.0, 0.5, 0.9, 1.0),
                                                    "q of the recorded trajectories, each in [0, 1]", "Q")

    def validate(self) -> None:
        """One-line ValueErrors naming the bad field and its allowed range (before any computation)."""
        for name in ("models", "qs", "p0s", "trajectory_qs"):
            if not getattr(self, name):
                raise ValueError(f"{name} must have at least one value")
        for name in self.models:
            if name not in MODEL_NAMES:
                raise ValueError(f"models must be among {', '.join(MODEL_NAMES)}; got {name!r}")
        V.check_range("target", self.target, 0.0, 1.0, low_open=True, high_open=True)
        V.check_range("qs", self.qs, *Q_RANGE)
        V.check_range("trajectory_qs", self.trajectory_qs, *Q_RANGE)
        V.check_range("p0s", self.p0s, 0.0, self.target, low_open=True, high_open=True)
        V.check_range("trajectory_p0", self.trajectory_p0, 0.0, self.target, low_open=True, high_open=True)
        V.check_range("near_opt_eps0", self.near_opt_eps0, 0.0, 1.0, low_open=True, high_open=True)
        V.check_range("near_opt_ratio", self.near_opt_ratio, 0.0, 1.0, low_open=True, high_open=True)
        for name in self.models:
            lo, hi = get_model(name).log_p_range
            reach = f"({np.exp(lo):.3g}, {np.exp(hi):.3g})"
            for field, values in (("p0s", self.p0s), ("trajectory_p0", (self.trajectory_p0,))):
                for p0 in values:
                    if not lo < np.log(p0) < hi:
                        raise ValueError(f"{field} must be in {reach} for model {name!r} (the P it can reach); "
                                         f"got {p0:g}")
            if not np.log(self.target) < hi:
                raise ValueError(f"target must be below {np.exp(hi):.3g} for model {name!r} (the P it can "
                                 f"reach); got {self.target:g}")


PRESETS = {
    "default": Config(),
    # the fast ledger tier: the slope window 1e-12 ... 1e-6 at whole decades
    "ledger": Config(p0s=_grid(-12, -6, 1), near_opt_eps0=(1e-1, 1e-2)),
    # seconds: every figure has something to draw
    "smoke": Config(models=("sigmoid", "chain-random"), qs=(0.0, 0.5, 1.0), p0s=(1e-2, 1e-4, 1e-6),
                    near_opt_eps0=(1e-1, 1e-2)),
}


def _escape_rows(name, p0, cfg):
    start = time.perf_counter()
    rec = escape_record(name, np.asarray(cfg.qs), p0, cfg.target)
    seconds = (time.perf_counter() - start) / len(cfg.qs)
    integral = escape_integral(rec.q, p0, cfg.target)
    return [{
        "kind": "escape", "model": name, "p0": p0, "target": cfg.target, "q": float(q), "T": float(t),
        "method": rec.method, "score_min": rec.score_min, "score_max": rec.score_max, "I": float(i),
        "lower": float(i) / rec.score_max ** 2, "upper": float(i) / rec.score_min ** 2,
        "event_residual": rec.event_residual, "seconds": seconds,
    } for q, t, i in zip(rec.q, rec.times, integral)]


def _near_opt_rows(name, eps0, cfg):
    eps1 = eps0 * cfg.near_opt_ratio
    model = get_model(name)
    hi = model.log_p_range[1]
    base = {"kind": "near_opt", "model": name, "eps0": eps0, "eps1": eps1}
    if not np.log1p(-eps1) < hi:
        return [{**base, "applicable": False,
                 "reason": f"sup P = {np.exp(hi):.3g} < 1 - eps1: the model cannot approach P = 1"}]
    sol = passage_time(model, np.asarray(cfg.qs), float(np.log1p(-eps0)), float(np.log1p(-eps1)))
    return [{**base, "applicable": True, "q": float(q), "T": float(t), "score_min": sol.score_min,
             "score_max": sol.score_max} for q, t in zip(sol.q, sol.times)]


def _trajectory_rows(name, cfg):
    traj = trajectory(name, np.asarray(cfg.trajectory_qs), cfg.trajectory_p0, cfg.target, num=160)
    return [{"kind": "trajectory", "model": name, "p0": cfg.trajectory_p0, "q": float(q), "t": t.tolist(),
             "log_p": traj.log_p.tolist(), "score_norm": traj.score_norm.tolist()}
            for q, t in zip(traj.q, traj.t)]


def tasks(cfg: Config):
    """``(key, compute)`` per (kind, model, p0 or ε0): the escape times of every (model, p0), the NEAR-OPT
    passages of every (model, ε0), then one trajectory task per model; each task covers all q in one solve."""
    for m in cfg.models:
        for p0 in cfg.p0s:
            yield ("escape", m, p0), lambda m=m, p0=p0: _escape_rows(m, p0, cfg)
    for m in cfg.models:
        for eps0 in cfg.near_opt_eps0:
            yield ("near_opt", m, eps0), lambda m=m, eps0=eps0: _near_opt_rows(m, eps0, cfg)
    for m in cfg.models:
        yield ("trajectory", m, cfg.trajectory_p0), lambda m=m: _trajectory_rows(m, cfg)


def run(cfg: Config, out: str | Path, *, fresh: bool = False, progress: bool = True) -> list[dict]:
    """Compute every task of ``cfg`` not yet in ``out/flow.jsonl`` (``results.run_tasks``); return all rows.

    Raises ``ValueError`` for a bad config and ``results.ConfigMismatch`` when the file holds another config
    (unless ``fresh``)."""
    cfg.validate()
    return run_tasks(study_path(out, STUDY), dataclasses.asdict(cfg), tasks(cfg), fresh=fresh,
                     progress=progress, desc="flow")


# a grid of at most this many escape times is one question: the summary lists each T
SMALL_GRID = 24


def summary(rows: list[dict], cfg: Config) -> str:
    """The fitted slope of ln T on ln(1/p0) per model and q (theory 1 − q, ESC-TIGHT) and, on a small grid,
    every escape time T with its bracket [I/C², I/c²] (ESC-LOWER, ESC-TIGHT)."""
    esc = fits.escape_rows(rows)
    if not esc:
        return "no escape times in the rows"
    qs, win = fits.qs_of(rows), fits.fit_window(rows)
    lines = [f"fitted slope of ln T on ln(1/p0) over p0 in [{win[0]:.0e}, {win[1]:.0e}] (theory 1 - q):",
             f"{'model':<26}" + "".join(f"{q:>7.2g}" for q in qs)]
    for m in fits.models_of(rows):
        if len({r["p0"] for r in fits.in_window(fits.escape_rows(rows, m), win)}) < 2:
            lines.append(f"{m:<26}    n/a (a slope needs >= 2 p0 in the window)")
            continue
        lines.append(f"{m:<26}" + "".join(f"{fits.slope(rows, m, q, win).slope:7.3f}" for q in qs))
    if len(esc) <= SMALL_GRID:
        lines += ["", f"escape time T from p0 to target {cfg.target:g} (flow time), with the bracket "
                  "[I/C², I/c²] of ESC-LOWER/ESC-TIGHT:",
                  f"{'model':<26}{'q':>6}{'p0':>10}{'T':>14}   bracket"]
        for r in sorted(esc, key=lambda r: (r["model"], r["q"], -r["p0"])):
            lines.append(f"{r['model']:<26}{r['q']:>6.3g}{r['p0']:>10.3g}{r['T']:>14.6g}   "
                         f"[{r['lower']:.6g}, {r['upper']:.6g}]")
    return "\n".join(lines)
