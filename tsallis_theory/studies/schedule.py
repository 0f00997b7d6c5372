"""q-schedules on a cold start with label noise: fixed q, stepwise q = 1 → 0, linear anneals and two adaptive
rules, each run as one gradient flow over every example (claim SCHEDULE; docs/spec.md §5; docs/categorical.md).

Clean examples start cold (P(gold) in [p0_min, p0_max]) and need q near 1 to escape fast; noisy examples are
memorised at q = 1 and cleaned at q = 0. The claim is that a stepwise schedule escapes like q = 1 and ends clean
like q = 0. Rows (``results.run_tasks`` into ``out/schedule.jsonl``), one per schedule
(``categorical.schedules.ScheduleResult.row``): key, kind, label, params, escape_time (90% of clean examples at
P(gold) ≥ 1/2; None when not by the horizon), peak/final contamination (mean P(flip) on noisy examples),
final accuracy, and the curves t_grid, contamination, escaped_fraction, q_mean.

The default preset is the grid of the ledger's fast SCHEDULE check (so its figures show the check's evidence);
``full`` is the full tier's grid. Figures: ``tsallis_theory.plots.schedule``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tsallis_theory import _validate as V
from tsallis_theory.categorical.schedules import Scenario, Schedule
from tsallis_theory.results import run_tasks, study_path
from tsallis_theory.studies._fields import config_field

STUDY = "schedule"
_SCENARIO = Scenario()
T_END_MAX = 1e9  # the longest training horizon (flow time) a schedule study takes


@dataclasses.dataclass(frozen=True)
class Config:
    """One schedule comparison: a scenario (examples, noise, cold start, horizon) and a grid of schedules."""

    n_examples: int = config_field(32, "number of examples, >= 2 (default 32)", "N")
    noisy_fraction: float = config_field(_SCENARIO.noisy_fraction, "fraction of noisy examples, in (0, 1) "
                                         f"(default {_SCENARIO.noisy_fraction:g})", "F")
    eps: float = config_field(_SCENARIO.eps, f"flip rate of a noisy example, in (0, 0.5) (default {_SCENARIO.eps:g})",
                              "EPS")
    p0_min: float = config_field(_SCENARIO.p0_min, f"coldest initial P(gold), in (0, p0_max] (default "
                                 f"{_SCENARIO.p0_min:g})", "P")
    p0_max: float = config_field(_SCENARIO.p0_max, f"warmest initial P(gold), in [p0_min, 1/3) (default "
                                 f"{_SCENARIO.p0_max:g})", "P")
    t_end: float = config_field(_SCENARIO.t_end, f"training horizon (flow time), in (0, {T_END_MAX:g}] (default "
                                                 f"{_SCENARIO.t_end:g})",
                                "T")
    n_grid: int = config_field(60, "points of the recorded curves, >= 10 (default 60)", "N")
    fixed_qs: tuple[float, ...] = config_field((0.0, 0.5, 0.8, 1.0), "fixed-q schedules, each in [0, 1], including 0 "
                                               "and 1 (default: 0 0.5 0.8 1)", "Q")
    switch_times: tuple[float, ...] = config_field((5.0, 10.0, 30.0), "switch times of the stepwise q = 1 → 0 "
                                                   "schedules, each > 0 (default: 5 10 30)", "T")
    anneal_times: tuple[float, ...] = config_field((20.0,), "lengths of the linear 1 → 0 anneals, each > 0 "
                                                   "(default: 20)", "T")
    reward_ema: tuple[tuple[float, float, float], ...] = config_field(
        ((2.0, 0.3, 0.7),), "adaptive reward-EMA rules (tau, lo, hi): q = 1 below lo, 0 above hi (presets only)",
        flag=False)
    per_example: tuple[tuple[float, float], ...] = config_field(
        ((0.3, 0.7),), "adaptive per-example rules (lo, hi) (presets only)", flag=False)

    def scenario(self) -> Scenario:
        return Scenario(n_examples=self.n_examples, noisy_fraction=self.noisy_fraction, eps=self.eps,
                        p0_min=self.p0_min, p0_max=self.p0_max, t_end=self.t_end)

    def schedules(self) -> list[Schedule]:
        """The schedules in the order they run: fixed, stepwise, linear, reward-EMA, per-example.

        >>> [s.key() for s in PRESETS["smoke"].schedules()]
        ['fixed:0', 'fixed:1', 'stepwise:10', 'linear:20', 'reward_ema:2,0.3,0.7', 'per_example:0.3,0.7']
        """
        return ([Schedule("fixed", q=q) for q in self.fixed_qs]
                + [Schedule("stepwise", t_switch=t) for t in self.switch_times]
                + [Schedule("linear", t_anneal=t) for t in self.anneal_times]
                + [Schedule("reward_ema", tau=tau, lo=lo, hi=hi) for tau, lo, hi in self.reward_ema]
                + [Schedule("per_example", lo=lo, hi=hi) for lo, hi in self.per_example])

    def validate(self) -> None:
        """One-line ValueErrors naming the bad field and its allowed range (before any computation)."""
        if int(self.n_examples) != self.n_examples or self.n_examples < 2:
            raise ValueError(f"n_examples must be an integer >= 2; got {self.n_examples!r}")
        if int(self.n_grid) != self.n_grid or self.n_grid < 10:
            raise ValueError(f"n_grid must be an integer >= 10; got {self.n_grid!r}")
        V.check_range("fixed_qs", self.fixed_qs, 0.0, 1.0)
        if not {0.0, 1.0} <= set(self.fixed_qs):
            raise ValueError("fixed_qs must include 0 and 1 (the stepwise runs are compared with both poles); got "
                             + " ".join(f"{q:g}" for q in self.fixed_qs))
        for name in ("switch_times", "anneal_times"):
            V.check_range(name, getattr(self, name), 0.0, low_open=True, high_open=True)
        # the run time grows with the horizon (3.7 s at 1e12 on smoke; 1e300 did not end)
        V.check_range("t_end", self.t_end, 0.0, T_END_MAX, low_open=True)
        self.scenario()  # its own range checks
        keys = [s.key() for s in self.schedules()]
        if len(set(keys)) != len(keys):
            raise ValueError("fixed_qs, switch_times, anneal_times: each schedule at most once; got duplicates")


PRESETS = {
    # the ledger's fast SCHEDULE grid: 10 schedules, 32 examples
    "default": Config(),
    # the ledger's full SCHEDULE grid: 24 schedules, 64 examples
    "full": Config(n_examples=64, n_grid=120, fixed_qs=(0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                   switch_times=(2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 75.0),
                   anneal_times=(20.0, 50.0, 100.0, 200.0), reward_ema=((2.0, 0.3, 0.7), (5.0, 0.5, 0.9)),
                   per_example=((0.3, 0.7), (0.5, 0.75))),
    # seconds: every figure has something to draw
    "smoke": Config(n_examples=8, n_grid=20, t_end=40.0, fixed_qs=(0.0, 1.0), switch_times=(10.0,),
                    anneal_times=(20.0,)),
}


def tasks(cfg: Config):
    """``(key, compute)`` per schedule (``Schedule.key()``), each one flow over every example."""
    from tsallis_theory.categorical.schedules import simulate

    scenario = cfg.scenario()
    for s in cfg.schedules():
        yield s.key(), lambda s=s: [simulate(scenario, s, n_grid=cfg.n_grid).row()]


def run(cfg: Config, out: str | Path, *, fresh: bool = False, progress: bool = True) -> list[dict]:
    """Compute every schedule of ``cfg`` not yet in ``out/schedule.jsonl`` (``results.run_tasks``); return all
    rows. Raises ``ValueError`` for a bad config and ``results.ConfigMismatch`` when the file holds another
    config (unless ``fresh``)."""
    cfg.validate()
    return run_tasks(study_path(out, STUDY), dataclasses.asdict(cfg), tasks(cfg), fresh=fresh,
                     progress=progress, desc=STUDY)


def summary(rows: list[dict], cfg: Config) -> str:
    """One line per schedule (escape time, peak and final contamination, final accuracy) and the schedules
    no other one dominates on (escape time, final contamination) (``schedules.pareto_front``)."""
    from tsallis_theory.categorical.schedules import pareto_front

    lines = [f"{'schedule':<38} {'escape':>8} {'peak c':>8} {'final c':>9} {'acc':>6}"]
    for r in rows:
        esc = "never" if r["escape_time"] is None else f"{r['escape_time']:.3g}"
        lines.append(f"{r['label']:<38} {esc:>8} {r['peak_contamination']:>8.4f} {r['final_contamination']:>9.2e} "
                     f"{r['final_accuracy']:>6.3f}")
    front = pareto_front(rows)
    lines.append(f"Pareto front (escape time, final contamination; {cfg.t_end:g} = horizon): "
                 + ", ".join(r["label"] for r in front))
    return "\n".join(lines)
