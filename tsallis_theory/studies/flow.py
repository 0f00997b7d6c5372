"""The escape-time sweep: every model × p0 grid × q grid, and the NEAR-OPT passage times, as result rows.

Rows (JSON lines through ``ResultsFile``, one per q):

* ``kind="escape"``: model, p0, target, q, T, method ("quad" or "ode"), score_min/score_max (min/max ‖s‖
  between p0 and δ), I (= ∫_{p0}^{δ} u^{q−2} du), lower = I/score_max², upper = I/score_min²,
  event_residual.
* ``kind="near_opt"``: model, eps0, eps1, q, T (time from P = 1 − ε0 to 1 − ε1), or ``applicable=False``
  with the reason when the model cannot reach 1 − ε0.
* ``kind="trajectory"``: model, p0, q, and lists t, log_p, score_norm along the escape path (for figures).

A (model, p0) or (model, ε0) pair is computed for all q in one solve and written at once, so a resumed run
skips pairs whose rows are all on disk. Figures and checks read rows; they never rerun (``fits`` analyses).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from tsallis_theory.flow.escape import Q_RANGE, escape_integral, escape_record, passage_time, trajectory
from tsallis_theory.flow.models import MODEL_NAMES, get_model
from tsallis_theory.results import ResultsFile


def _grid(lo_exp, hi_exp, per_decade):
    n = int(round((hi_exp - lo_exp) * per_decade)) + 1
    return tuple(float(10.0 ** e) for e in np.linspace(hi_exp, lo_exp, n))


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """One sweep.

    Attributes:
      models: model names (``MODEL_NAMES``).
      qs: commitments, each in [0, 1] (default 0, 0.1, ..., 1).
      p0s: initial success probabilities, each in (0, target) (default 23 values, 1e-1 ... 1e-12, two per
        decade).
      target: δ.
      near_opt_eps0: ε0 values of NEAR-OPT; ε1 = ε0 · near_opt_ratio.
    """

    models: tuple[str, ...] = MODEL_NAMES
    qs: tuple[float, ...] = tuple(round(0.1 * i, 10) for i in range(11))
    p0s: tuple[float, ...] = _grid(-12, -1, 2)
    target: float = 0.5
    near_opt_eps0: tuple[float, ...] = (1e-1, 1e-2, 1e-3)
    near_opt_ratio: float = 1e-2
    trajectory_p0: float = 1e-12
    trajectory_qs: tuple[float, ...] = (0.0, 0.5, 0.9, 1.0)

    def to_json(self):
        return dataclasses.asdict(self)

    def validate(self) -> None:
        """One-line ValueErrors naming the bad field (before any computation)."""
        from tsallis_theory import _validate as V
        from tsallis_theory.flow.models import get_model

        V.check_range("target", self.target, 0.0, 1.0, low_open=True, high_open=True)
        for q in (*self.qs, *self.trajectory_qs):
            V.check_range("q", q, *Q_RANGE)
        for p0 in (*self.p0s, self.trajectory_p0):
            V.check_range("p0", p0, 0.0, self.target, low_open=True, high_open=True)
        for e in self.near_opt_eps0:
            V.check_range("eps0", e, 0.0, 1.0, low_open=True, high_open=True)
        if not self.models or not self.qs or not self.p0s:
            raise ValueError("models, q and p0 must each have at least one value")
        for name in self.models:
            model = get_model(name)
            lo, hi = model.log_p_range
            for p0 in (*self.p0s, self.trajectory_p0):
                if not lo < np.log(p0) < hi:
                    model.init(p0)  # raises "p0 = ... cannot be reached by model ..."
            if not np.log(self.target) < hi:
                raise ValueError(f"target = {self.target:g} cannot be reached by model {name!r}: its P lies below "
                                 f"{np.exp(hi):.3g}")


PRESETS = {
    "default": SweepConfig(),
    # the fast ledger tier: the slope window 1e-12 ... 1e-6 at whole decades
    "ledger": SweepConfig(p0s=_grid(-12, -6, 1), near_opt_eps0=(1e-1, 1e-2)),
    "smoke": SweepConfig(models=("sigmoid", "chain-random"), qs=(0.0, 0.5, 1.0), p0s=(1e-2, 1e-4, 1e-6),
                         near_opt_eps0=(1e-1,)),
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


def _complete_pairs(rows, cfg):
    """(kind, model, p0 or eps0) triples whose rows are all on disk (all q, or the not-applicable row)."""
    counts: dict[tuple, int] = {}
    for r in rows:
        key = (r["kind"], r["model"], r.get("eps0", r.get("p0")))
        counts[key] = counts.get(key, 0) + 1
    need = {"escape": len(cfg.qs), "near_opt": len(cfg.qs), "trajectory": len(cfg.trajectory_qs)}
    return {k for k, n in counts.items() if n >= need[k[0]] or (k[0] == "near_opt" and n == 1 and any(
        r.get("applicable") is False and r["model"] == k[1] and r["eps0"] == k[2] for r in rows))}


def run_sweep(cfg: SweepConfig, path: str | Path, *, progress: bool = True, fresh: bool = False) -> list[dict]:
    """Compute every missing (model, p0) and (model, ε0) pair of ``cfg`` into ``path``; return all rows."""
    from tqdm.auto import tqdm

    cfg.validate()
    results = ResultsFile(path, cfg.to_json())
    header = results.header() if Path(path).exists() and not fresh else None
    if header is not None and header.get("config") != json.loads(json.dumps(results.config)):
        raise ValueError(f"results file {path} holds a different sweep configuration; use --fresh or another --out")
    results.start(fresh=fresh)
    done = _complete_pairs(results.rows(), cfg)
    jobs = [("escape", m, p) for m in cfg.models for p in cfg.p0s if ("escape", m, p) not in done]
    jobs += [("near_opt", m, e) for m in cfg.models for e in cfg.near_opt_eps0 if ("near_opt", m, e) not in done]
    jobs += [("trajectory", m, cfg.trajectory_p0) for m in cfg.models
             if ("trajectory", m, cfg.trajectory_p0) not in done]
    make = {"escape": _escape_rows, "near_opt": _near_opt_rows}
    bar = tqdm(jobs, desc="flow sweep", unit="solve", disable=not progress, leave=False)
    for kind, name, x in bar:
        bar.set_postfix_str(f"{kind} {name} {'eps0' if kind == 'near_opt' else 'p0'}={x:.1e}")
        rows = _trajectory_rows(name, cfg) if kind == "trajectory" else make[kind](name, x, cfg)
        for row in rows:
            results.append(row)
    return results.rows()
