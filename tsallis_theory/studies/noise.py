"""Label noise in the two-label model: escort minimisers, stable contamination over (ε, q), contamination paths
and memorisation times (claims ESCORT, SHARPEN, NOISE-EQ, NOISE-TIME; docs/spec.md §2, §4; docs/categorical.md).

With flip rate ε the loss (1 − ε) ℓ_q(p) + ε ℓ_q(p̃) is minimised at the escort of (1 − ε, ε): the stable
contamination is p̃* = ε^{1/q}/(ε^{1/q} + (1 − ε)^{1/q}) (NOISE-EQ), and from a clean start the time to reach
η ≪ p̃* is η^{q+1}/((q+1)ε) when the score is bounded below (direct θ = p; NOISE-TIME). Rows
(``results.run_tasks`` into ``out/noise.jsonl``), one task per row:

* ``kind="escort"``: q, alpha and the converged direct flow ``theta`` on Σα_j(−log_q θ_j), with its final
  ``speed`` (ESCORT, SHARPEN).
* ``kind="equilibrium"``: eps, q, parameterisation, the simulated ``p_tilde_star`` (the flow run until it stops
  moving, from p̃ = 0.45) and eq. 17's ``formula``.
* ``kind="path"``: eps, q, parameterisation, p_tilde0 and the lists t, p_tilde, with ``p_tilde_star``.
* ``kind="time"``: the memorisation times of ``categorical.noise.noise_time_table`` for one q (both
  parameterisations): eta, eta_frac, p_tilde0, T, paper_law, initial_law.

Figures (``tsallis_theory.plots.noise``) read these rows; the ledger's NOISE-EQ and NOISE-TIME checks compute
their own numbers with the same math-layer functions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from tsallis_theory import _validate as V
from tsallis_theory.categorical.escort import noise_equilibrium
from tsallis_theory.categorical.noise import NOISE_PARAMETERISATIONS
from tsallis_theory.results import run_tasks, study_path
from tsallis_theory.studies._fields import config_field

STUDY = "noise"
EQUILIBRIUM_START = 0.45  # p̃ at the start of the equilibrium flows (above every p̃*: approached from above)


def _linspace(lo, hi, n):
    return tuple(round(float(x), 6) for x in np.linspace(lo, hi, n))


@dataclasses.dataclass(frozen=True)
class Config:
    """One label-noise study: escort minimisers, an (ε, q) grid of equilibria, paths and memorisation times."""

    eps: tuple[float, ...] = config_field((0.05, 0.1, 0.2, 0.3), "flip rates ε of the equilibrium grid, each in "
                                          "(0, 0.5) (default: 0.05 0.1 0.2 0.3)", "EPS")
    q: tuple[float, ...] = config_field((0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0), "commitments q of the equilibrium grid, "
                                        "each in (0, 1] (default: 0.1 0.2 0.3 0.4 0.6 0.8 1)", "Q")
    escort_qs: tuple[float, ...] = config_field(_linspace(0.2, 1.0, 9), "commitments q of the escort minimisers, each "
                                                "in (0, 1] (default: 0.2, 0.3, ..., 1)", "Q")
    escort_alpha: tuple[float, ...] = config_field((0.5, 0.3, 0.2), "annotation distribution α of the escort "
                                                   "minimisers, positive, summing to 1 (default: 0.5 0.3 0.2)", "ALPHA")
    path_eps: float = config_field(0.1, "flip rate ε of the contamination paths and times, in (0, 0.5) (default 0.1)",
                                   "EPS")
    path_qs: tuple[float, ...] = config_field((0.0, 0.25, 0.5, 0.75, 1.0), "commitments q of the contamination paths, "
                                              "each in [0, 1] (default: 0 0.25 0.5 0.75 1)", "Q")
    p_tilde0: float = config_field(1e-6, "initial contamination p̃0 of the paths, in (0, 0.5) (default 1e-6)", "P")
    time_qs: tuple[float, ...] = config_field((0.25, 0.5, 0.75, 1.0), "commitments q of the memorisation times, each "
                                              "in (0, 1] (default: 0.25 0.5 0.75 1)", "Q")
    eta_fracs: tuple[float, ...] = config_field(
        tuple(float(x) for x in np.geomspace(1e-6, 1e-1, 11)),
        "targets η/p̃* of the memorisation times, each in (0, 1) (default: 11 values 1e-6 ... 1e-1)", "FRAC")
    p0_fracs: tuple[float, ...] = config_field(
        (1e-8, 1e-6, 1e-4, 1e-2),
        "sigmoid starts p̃0/η of the memorisation times, each in (0, 1) (default: 1e-8 1e-6 1e-4 1e-2)", "FRAC")

    def validate(self) -> None:
        """One-line ValueErrors naming the bad field and its allowed range (before any computation)."""
        for name in ("eps", "q", "escort_qs", "path_qs", "time_qs", "eta_fracs", "p0_fracs"):
            if not getattr(self, name):
                raise ValueError(f"{name} must have at least one value")
        V.check_range("eps", self.eps, 0.0, 0.5, low_open=True, high_open=True)
        V.check_range("path_eps", self.path_eps, 0.0, 0.5, low_open=True, high_open=True)
        for name in ("q", "escort_qs", "time_qs"):  # at q = 0 the equilibrium is the clean vertex, p̃* = 0
            V.check_range(name, getattr(self, name), 0.0, 1.0, low_open=True)
        V.check_range("path_qs", self.path_qs, 0.0, 1.0)
        # the flows divide by the equilibrium p̃* ≈ (ε/(1−ε))^{1/q}: below 1e-250 float64 cannot carry them
        for name, qs, epss in (("q", self.q, self.eps), ("path_qs", self.path_qs, (self.path_eps,)),
                               ("time_qs", self.time_qs, (self.path_eps,))):
            for eps in epss:
                q_min = float(np.log((1.0 - eps) / eps) / np.log(1e250))
                if any(0.0 < q < q_min for q in qs):
                    raise ValueError(f"{name} must be >= {q_min:.3g} at eps = {eps:g} (or 0 where allowed): below "
                                     f"it the equilibrium contamination (ε/(1−ε))^(1/q) is under 1e-250; got "
                                     f"{' '.join(f'{q:g}' for q in qs)}")
        V.check_range("p_tilde0", self.p_tilde0, 0.0, 0.5, low_open=True, high_open=True)
        V.check_range("eta_fracs", self.eta_fracs, 0.0, 1.0, low_open=True, high_open=True)
        V.check_range("p0_fracs", self.p0_fracs, 0.0, 1.0, low_open=True, high_open=True)
        V.check_range("escort_alpha", self.escort_alpha, 0.0, 1.0, low_open=True)
        if len(self.escort_alpha) < 2 or abs(sum(self.escort_alpha) - 1.0) > 1e-9:
            raise ValueError(f"escort_alpha must hold >= 2 positive values summing to 1; got "
                             f"{' '.join(f'{a:g}' for a in self.escort_alpha)}")


PRESETS = {
    "default": Config(),
    # seconds: every figure has something to draw
    "smoke": Config(eps=(0.1, 0.3), q=(0.5, 1.0), escort_qs=(0.2, 0.6, 1.0), path_qs=(0.0, 1.0), time_qs=(1.0,),
                    eta_fracs=(1e-4, 1e-2), p0_fracs=(1e-4, 1e-2)),
}


def _escort_rows(q, cfg):
    from tsallis_theory.categorical.flows import flow_to_stationarity

    res = flow_to_stationarity(np.array(cfg.escort_alpha), q, "direct")
    return [{"kind": "escort", "q": q, "alpha": list(cfg.escort_alpha), "theta": res.theta.tolist(),
             "speed": res.speed}]


def _equilibrium_rows(eps, q, par):
    from tsallis_theory.categorical.noise import stable_contamination_by_flow

    sim = stable_contamination_by_flow(eps, q, par, EQUILIBRIUM_START)
    return [{"kind": "equilibrium", "eps": eps, "q": q, "parameterisation": par, "p_tilde_star": sim,
             "formula": float(noise_equilibrium(eps, q))}]


def _path_rows(q, par, cfg):
    from tsallis_theory.categorical.noise import simulate_contamination

    t = np.concatenate([[0.0], np.geomspace(1e-4, 1e8, 240)])
    p, _ = simulate_contamination(cfg.path_eps, q, cfg.p_tilde0, t, par)
    return [{"kind": "path", "eps": cfg.path_eps, "q": q, "parameterisation": par, "p_tilde0": cfg.p_tilde0,
             "t": t[: len(p)].tolist(), "p_tilde": p.tolist(),
             "p_tilde_star": float(noise_equilibrium(cfg.path_eps, q))}]


def _time_rows(q, cfg):
    from tsallis_theory.categorical.noise import noise_time_table

    table = noise_time_table((q,), cfg.path_eps, cfg.eta_fracs, cfg.p0_fracs, with_ode=False)
    return [{"kind": "time", **r} for r in table]


def tasks(cfg: Config):
    """``(key, compute)`` per row group: each escort q, each (ε, q, parameterisation) equilibrium, each
    (q, parameterisation) path and each q of the memorisation times."""
    for q in cfg.escort_qs:
        yield ("escort", None, q, None), lambda q=q: _escort_rows(q, cfg)
    for eps in cfg.eps:
        for q in cfg.q:
            for par in NOISE_PARAMETERISATIONS:
                yield ("equilibrium", eps, q, par), lambda eps=eps, q=q, par=par: _equilibrium_rows(eps, q, par)
    for q in cfg.path_qs:
        for par in NOISE_PARAMETERISATIONS:
            yield ("path", cfg.path_eps, q, par), lambda q=q, par=par: _path_rows(q, par, cfg)
    for q in cfg.time_qs:
        yield ("time", cfg.path_eps, q, None), lambda q=q: _time_rows(q, cfg)


def run(cfg: Config, out: str | Path, *, fresh: bool = False, progress: bool = True) -> list[dict]:
    """Compute every task of ``cfg`` not yet in ``out/noise.jsonl`` (``results.run_tasks``); return all rows.

    Raises ``ValueError`` for a bad config and ``results.ConfigMismatch`` when the file holds another config
    (unless ``fresh``)."""
    cfg.validate()
    return run_tasks(study_path(out, STUDY), dataclasses.asdict(cfg), tasks(cfg), fresh=fresh,
                     progress=progress, desc=STUDY)


# an equilibrium grid of at most this many (ε, q) points is one question: the summary lists each
SMALL_GRID = 8


def summary(rows: list[dict], cfg: Config) -> str:
    """The worst relative error of the simulated equilibria against eq. 17 (NOISE-EQ), each equilibrium on a
    small grid, and the direct memorisation time over Prop C.2's law at the smallest η (NOISE-TIME)."""
    eq = [r for r in rows if r["kind"] == "equilibrium"]
    lines = []
    if eq:
        worst = max(abs(r["p_tilde_star"] / r["formula"] - 1.0) for r in eq)
        lines.append(f"NOISE-EQ: {len(eq)} simulated equilibria, max relative error vs "
                     f"ε^(1/q)/(ε^(1/q)+(1-ε)^(1/q)): {worst:.1e}")
        if len({(r["eps"], r["q"]) for r in eq}) <= SMALL_GRID:
            lines.append(f"{'eps':>8}{'q':>7}  {'parameterisation':<17}{'simulated p̃*':>14}{'eq. 17':>14}")
            for r in sorted(eq, key=lambda r: (r["eps"], r["q"], r["parameterisation"])):
                lines.append(f"{r['eps']:>8g}{r['q']:>7g}  {r['parameterisation']:<17}{r['p_tilde_star']:>14.6g}"
                             f"{r['formula']:>14.6g}")
    times = [r for r in rows if r["kind"] == "time" and r["parameterisation"] == "direct"]
    if times:
        lowest = min(r["eta_frac"] for r in times)
        for r in sorted((r for r in times if r["eta_frac"] == lowest), key=lambda r: r["q"]):
            lines.append(f"NOISE-TIME direct q={r['q']:g}: T/[η^(q+1)/((q+1)ε)] = {r['T'] / r['paper_law']:.4f} "
                         f"at η = {r['eta_frac']:.0e}·p̃*")
    return "\n".join(lines) or "no rows"
