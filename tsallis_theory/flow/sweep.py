"""The escape-time sweep: every model × p0 grid × q grid, and the NEAR-OPT passage times, as result rows.

Rows (JSON lines through ``ResultsFile``, one per q):

* ``kind="escape"``: model, p0, target, q, T, method ("quad" or "ode"), score_min/score_max (min/max ‖s‖
  between p0 and δ), I (= ∫_{p0}^{δ} u^{q−2} du), lower = I/score_max², upper = I/score_min²,
  event_residual.
* ``kind="near_opt"``: model, eps0, eps1, q, T (time from P = 1 − ε0 to 1 − ε1), or ``applicable=False``
  with the reason when the model cannot reach 1 − ε0.

A (model, p0) or (model, ε0) pair is computed for all q in one solve and written at once, so a resumed run
skips finished pairs (``done_keys``). Figures and checks read rows; they never rerun (``fits`` analyses).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from tsallis_theory.flow.escape import escape_integral, escape_record, passage_time
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

    def to_json(self):
        return dataclasses.asdict(self)


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


def run_sweep(cfg: SweepConfig, path: str | Path, *, progress: bool = True, fresh: bool = False) -> list[dict]:
    """Compute every missing (model, p0) and (model, ε0) pair of ``cfg`` into ``path``; return all rows."""
    from tqdm.auto import tqdm

    results = ResultsFile(path, cfg.to_json())
    header = results.header() if Path(path).exists() and not fresh else None
    if header is not None and header.get("config") != results.config:
        raise ValueError(f"results file {path} holds a different sweep configuration; use --fresh or another --out")
    results.start(fresh=fresh)
    done_escape = {(m, p) for (k, m, p) in results.done_keys(("kind", "model", "p0")) if k == "escape"}
    done_near = {(m, e) for (k, m, e) in results.done_keys(("kind", "model", "eps0")) if k == "near_opt"}
    jobs = [("escape", m, p) for m in cfg.models for p in cfg.p0s if (m, p) not in done_escape]
    jobs += [("near_opt", m, e) for m in cfg.models for e in cfg.near_opt_eps0 if (m, e) not in done_near]
    bar = tqdm(jobs, desc="flow sweep", unit="solve", disable=not progress, leave=False)
    for kind, name, x in bar:
        bar.set_postfix_str(f"{name} {'p0' if kind == 'escape' else 'eps0'}={x:.1e}")
        rows = _escape_rows(name, x, cfg) if kind == "escape" else _near_opt_rows(name, x, cfg)
        for row in rows:
            results.append(row)
    return results.rows()
