"""Schedules of q on a scenario with both problems: cold start and label noise  (SCHEDULE; docs/spec.md §5).

Scenario (``Scenario``): n examples, each a tabular softmax model over three labels (gold, flip, junk) with its
own logits. All start cold: P(gold) = p0_i (log-spaced over [p0_min, p0_max]), P(flip) = p0_i, the rest on the
junk label (the cold model's default answer). Most examples are clean (label frequencies α = (1, 0, 0)); a
fraction ``noisy_fraction`` are noisy: their annotations are flipped at rate ε, α = (1 − ε, ε, 0). Training is
the gradient flow of each example's loss Σ_j α_ij ℓ_{q_i(t)}(θ_ij) on its logits (``flows.softmax_rhs``; time
is counted per example, i.e. the flow of n·J with J the mean loss), where the schedule sets q_i(t) ∈ [0, 1].

Schedules (``Schedule``):
  fixed(q)              q constant.
  stepwise(t_s)         q = 1 for t < t_s, then 0 (SFT then RLVR, v2 abstract).
  linear(t_a)           q = max(0, 1 − t/t_a).
  reward_ema(τ, lo, hi) global adaptive rule: m = exponential running mean (time constant τ) of the mean training
                        reward r̄ = mean_i Σ_j α_ij θ_ij, q = clip((hi − m)/(hi − lo), 0, 1): commit while the
                        data set is cold, turn to q = 0 once it is mostly solved.
  per_example(lo, hi)   per-example adaptive rule: q_i = clip((hi − r_i)/(hi − lo), 0, 1) from the example's own
                        training reward r_i = Σ_j α_ij θ_ij: each example gets q = 1 while cold and q = 0 once fit.
Both adaptive rules read only the training reward, which a practitioner observes; neither sees the gold labels.

Metrics (``simulate``): escape time T_esc = the time by which 90% of clean examples have P(gold) ≥ 1/2 (inf if not
within the horizon); contamination c(t) = mean P(flip) over noisy examples, its peak and its final value at the
horizon; final accuracy = fraction of all examples whose argmax is the gold label.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from tsallis_theory.categorical.escort import check_eps
from tsallis_theory.categorical.flows import log_softmax, softmax_rhs

GOLD, FLIP, JUNK = 0, 1, 2
ESCAPE_LEVEL = 0.5
ESCAPE_QUANTILE = 0.9
RTOL, ATOL = 1e-8, 1e-10
KINDS = ("fixed", "stepwise", "linear", "reward_ema", "per_example")


@dataclasses.dataclass(frozen=True)
class Scenario:
    """The schedule scenario.

    Attributes:
      n_examples: number of examples (≥ 2).
      noisy_fraction: fraction of examples with flipped annotations, in (0, 1).
      eps: flip rate of a noisy example's annotations, in (0, 1/2).
      p0_min, p0_max: the cold-start range of P(gold) at t = 0, 0 < p0_min ≤ p0_max < 1/3.
      t_end: the training horizon (flow time).
    """

    n_examples: int = 64
    noisy_fraction: float = 0.25
    eps: float = 0.2
    p0_min: float = 1e-4
    p0_max: float = 1e-2
    t_end: float = 100.0

    def __post_init__(self):
        if int(self.n_examples) != self.n_examples or self.n_examples < 2:
            raise ValueError(f"n_examples must be an integer >= 2; got {self.n_examples!r}")
        if not 0.0 < self.noisy_fraction < 1.0:
            raise ValueError(f"noisy_fraction must be in (0, 1); got {self.noisy_fraction:g}")
        check_eps(self.eps)
        if not 0.0 < self.p0_min <= self.p0_max < 1.0 / 3.0:
            raise ValueError(f"p0_min, p0_max must satisfy 0 < p0_min <= p0_max < 1/3; got {self.p0_min:g}, "
                             f"{self.p0_max:g}")
        if not (math.isfinite(self.t_end) and self.t_end > 0):
            raise ValueError(f"t_end must be a positive finite time; got {self.t_end:g}")

    def build(self):
        """(alpha, z0, noisy): label frequencies (n, 3), initial logits (n, 3), noisy mask (n,).
        Noisy examples are spread evenly through the p0 range."""
        n = self.n_examples
        p0 = np.geomspace(self.p0_min, self.p0_max, n)
        n_noisy = max(1, min(n - 1, round(self.noisy_fraction * n)))
        noisy = np.zeros(n, dtype=bool)
        noisy[np.round(np.linspace(0, n - 1, n_noisy)).astype(int)] = True
        alpha = np.zeros((n, 3))
        alpha[:, GOLD] = np.where(noisy, 1.0 - self.eps, 1.0)
        alpha[:, FLIP] = np.where(noisy, self.eps, 0.0)
        z0 = np.log(np.stack([p0, p0, 1.0 - 2.0 * p0], axis=1))
        return alpha, z0, noisy


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A q-schedule: ``kind`` in KINDS and its parameters (unused ones are ignored).

    Attributes:
      kind: ``fixed`` | ``stepwise`` | ``linear`` | ``reward_ema`` | ``per_example``.
      q: the constant q of ``fixed``, in [0, 1].
      t_switch: the switch time of ``stepwise`` (> 0).
      t_anneal: the anneal length of ``linear`` (> 0).
      tau: the running-mean time constant of ``reward_ema`` (> 0).
      lo, hi: reward thresholds of the adaptive rules (0 ≤ lo < hi ≤ 1): q = 1 below lo, 0 above hi.
    """

    kind: str
    q: float = 1.0
    t_switch: float = 10.0
    t_anneal: float = 50.0
    tau: float = 2.0
    lo: float = 0.3
    hi: float = 0.7

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"schedule kind must be one of {KINDS}; got {self.kind!r}")
        if not 0.0 <= self.q <= 1.0:
            raise ValueError(f"q must be in [0, 1]; got {self.q:g}")
        for name in ("t_switch", "t_anneal", "tau"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive finite time; got {v:g}")
        if not 0.0 <= self.lo < self.hi <= 1.0:
            raise ValueError(f"lo, hi must satisfy 0 <= lo < hi <= 1; got {self.lo:g}, {self.hi:g}")

    @property
    def label(self) -> str:
        return {
            "fixed": f"fixed q={self.q:g}",
            "stepwise": f"stepwise 1→0 at t={self.t_switch:g}",
            "linear": f"linear 1→0 over t={self.t_anneal:g}",
            "reward_ema": f"reward-EMA τ={self.tau:g} [{self.lo:g},{self.hi:g}]",
            "per_example": f"per-example reward [{self.lo:g},{self.hi:g}]",
        }[self.kind]

    def key(self) -> str:
        """A stable identifier for result rows."""
        params = {"fixed": ("q",), "stepwise": ("t_switch",), "linear": ("t_anneal",),
                  "reward_ema": ("tau", "lo", "hi"), "per_example": ("lo", "hi")}[self.kind]
        return self.kind + ":" + ",".join(f"{getattr(self, p):g}" for p in params)

    def breakpoints(self, t_end: float) -> list[float]:
        """Times in (0, t_end) where q jumps (the integrator restarts there)."""
        return [self.t_switch] if self.kind == "stepwise" and self.t_switch < t_end else []

    def q_of(self, t: float, reward_i: np.ndarray, m: float) -> np.ndarray | float:
        """q at time t (per example for ``per_example``), given the rewards r_i and the running mean m."""
        ramp = lambda r: np.clip((self.hi - r) / (self.hi - self.lo), 0.0, 1.0)  # noqa: E731
        if self.kind == "fixed":
            return self.q
        if self.kind == "stepwise":
            return 1.0 if t < self.t_switch else 0.0
        if self.kind == "linear":
            return max(0.0, 1.0 - t / self.t_anneal)
        if self.kind == "reward_ema":
            return float(ramp(m))
        return ramp(reward_i)


@dataclasses.dataclass(frozen=True)
class ScheduleResult:
    """Metrics of one schedule on one scenario (see module docstring); curves on ``t_grid``."""

    schedule: Schedule
    escape_time: float
    escape_times: np.ndarray
    peak_contamination: float
    final_contamination: float
    final_accuracy: float
    t_grid: np.ndarray
    contamination: np.ndarray
    escaped_fraction: np.ndarray
    q_mean: np.ndarray

    def row(self) -> dict:
        def fin(x):
            return None if not math.isfinite(x) else float(x)

        return {
            "key": self.schedule.key(), "kind": self.schedule.kind, "label": self.schedule.label,
            "params": dataclasses.asdict(self.schedule),
            "escape_time": fin(self.escape_time), "escape_time_median": fin(float(np.median(self.escape_times))),
            "escape_time_max": fin(float(np.max(self.escape_times))), "peak_contamination": self.peak_contamination,
            "final_contamination": self.final_contamination, "final_accuracy": self.final_accuracy,
            "t_grid": self.t_grid.tolist(), "contamination": self.contamination.tolist(),
            "escaped_fraction": self.escaped_fraction.tolist(), "q_mean": self.q_mean.tolist(),
        }


def simulate(scenario: Scenario, schedule: Schedule, n_grid: int = 120) -> ScheduleResult:
    """Run the gradient flow of the scenario under ``schedule`` to ``scenario.t_end`` and measure it."""
    alpha, z0, noisy = scenario.build()
    n = alpha.shape[0]
    clean = ~noisy

    def unpack(y):
        return y[:-1].reshape(n, 3), y[-1]

    def rewards(z):
        return (alpha * np.exp(log_softmax(z))).sum(axis=1)

    def rhs(t, y):
        z, m = unpack(y)
        r = rewards(z)
        q = schedule.q_of(t, r, m)
        return np.concatenate([softmax_rhs(z, alpha, q).ravel(), [(r.mean() - m) / schedule.tau]])

    y0 = np.concatenate([z0.ravel(), [rewards(z0).mean()]])
    edges = [0.0, *schedule.breakpoints(scenario.t_end), scenario.t_end]
    pieces = []
    for a, b in zip(edges[:-1], edges[1:]):
        sol = solve_ivp(rhs, (a, b), y0, method="LSODA", rtol=RTOL, atol=ATOL, dense_output=True)
        if not sol.success:
            raise RuntimeError(f"schedule {schedule.label}: ODE solver failed: {sol.message}")
        pieces.append((a, b, sol.sol))
        y0 = sol.y[:, -1]

    def state(t):
        for a, b, f in pieces:
            if t <= b:
                return f(t)
        return pieces[-1][2](scenario.t_end)

    t_grid = np.concatenate([[0.0], np.geomspace(1e-2, scenario.t_end, n_grid - 1)])
    theta = np.stack([np.exp(log_softmax(unpack(state(t))[0])) for t in t_grid])  # (T, n, 3)
    gold = theta[:, :, GOLD]
    contamination = theta[:, noisy, FLIP].mean(axis=1)
    escaped = gold[:, clean] >= ESCAPE_LEVEL
    q_mean = np.array([np.mean(schedule.q_of(t, rewards(unpack(state(t))[0]), unpack(state(t))[1]))
                       for t in t_grid])

    # Each clean example's first crossing of P(gold) = 1/2, refined on the dense solution.
    escape_times = np.full(int(clean.sum()), np.inf)
    clean_idx = np.flatnonzero(clean)
    for j, i in enumerate(clean_idx):
        hit = np.flatnonzero(escaped[:, j])
        if hit.size == 0:
            continue
        k = hit[0]
        if k == 0:
            escape_times[j] = 0.0
            continue
        f = lambda t: np.exp(log_softmax(unpack(state(t))[0][i]))[GOLD] - ESCAPE_LEVEL  # noqa: E731
        escape_times[j] = brentq(f, t_grid[k - 1], t_grid[k], xtol=1e-10, rtol=1e-10)
    escape_time = float(np.quantile(escape_times, ESCAPE_QUANTILE, method="higher"))

    # Peak contamination: the grid maximum refined by bounded search around it.
    k = int(np.argmax(contamination))
    peak = float(contamination[k])
    if 0 < k < len(t_grid) - 1:
        from scipy.optimize import minimize_scalar

        res = minimize_scalar(lambda t: -np.exp(log_softmax(unpack(state(t))[0][noisy]))[:, FLIP].mean(),
                              bounds=(t_grid[k - 1], t_grid[k + 1]), method="bounded",
                              options={"xatol": 1e-9})
        peak = max(peak, float(-res.fun))
    final_theta = theta[-1]
    accuracy = float(np.mean(np.argmax(final_theta, axis=1) == GOLD))
    return ScheduleResult(schedule, escape_time, escape_times, peak, float(contamination[-1]), accuracy, t_grid,
                          contamination, escaped.mean(axis=1), q_mean)


def dominates(a: dict, b: dict, rel_tol: float = 0.01) -> bool:
    """Pareto dominance on (escape time, final contamination), both to be minimised.

    ``a`` dominates ``b`` when a is no worse than b in both metrics and better in at least one, where values
    within ``rel_tol`` (relative) of each other are ties and an escape time of ``None`` (not within the horizon)
    is worse than any finite one and ties with another ``None``.
    """

    def cmp(x, y):  # -1 if x better (smaller), 0 tie, +1 worse
        x = math.inf if x is None else x
        y = math.inf if y is None else y
        if x == y or (math.isfinite(x) and math.isfinite(y) and abs(x - y) <= rel_tol * max(abs(x), abs(y))):
            return 0
        return -1 if x < y else 1

    c = [cmp(a["escape_time"], b["escape_time"]), cmp(a["final_contamination"], b["final_contamination"])]
    return max(c) <= 0 and min(c) < 0


def pareto_front(rows: list[dict], rel_tol: float = 0.01) -> list[dict]:
    """The rows that no other row dominates (``dominates``), in their given order.

    >>> a = {"escape_time": 1.0, "final_contamination": 0.5}
    >>> b = {"escape_time": 2.0, "final_contamination": 0.1}
    >>> c = {"escape_time": None, "final_contamination": 0.2}
    >>> pareto_front([a, b, c]) == [a, b]
    True
    """
    return [r for r in rows if not any(dominates(o, r, rel_tol) for o in rows if o is not r)]
