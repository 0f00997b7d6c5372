"""The atlas study: every method's amplification f'(P) (E[update] = f'(P)·∇P per example), the
finite-group ceiling and the escape-time slopes of the expected-estimator flows (claim ATLAS, docs/spec.md §7).

Rows (``out/atlas.jsonl``; the formulas are ``tsallis_theory.atlas``'s):

* ``kind="curve"``: one method (``label``) on the P grid (n_p points in [1e-8, 0.99]): with a 0/1 verifier
  (``verifier="hard"``) the exact finite-group amplification f'_G(P) = G·E_{K'~Bin(G−1,P)}[a(1, K'+1) −
  a(0, K')] and the population f'(P); with a soft verifier (``verifier="soft"``) the exact amplification
  over every composition of the pool, on the model P(θ) = mean_z σ(θ + b_z).
* ``kind="ceiling"``: GARL's finite-group amplification for q ∈ {.25, .5, .75, 1} and each G of
  ceiling_groups; for P ≪ 1/G it caps at G^q.
* ``kind="escape"``: escape time to P = 1/2 of dθ/dt = −E[ĝ] from p0 = 1e-7..1e-3 and the slope of
  log T on log(1/p0): ≈ 1 for every 0/1-verifier method, 1 − q with a soft verifier or at the population.

Every row with a group size carries ``G``; every row names its method (``label`` or ``method``).

Methods declared outside the lab (``estimators.Method``) join with ``Config.method`` ("package.module:attr",
``tsallis-lab atlas --method package.module:attr``): a hard curve and a hard escape flow when the method takes
0/1 rewards, a soft curve and a soft escape flow when it is ``soft_ok``, at the parameters of its ``defaults``.
A method that states no population amplification has NaN in its curve's ``population``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tsallis_theory.results import run_tasks, study_path

STUDY = "atlas"

# (label, method, kwargs): the 0/1-verifier curves, the soft-verifier curves
HARD_CURVES = [
    ("RLVR / RLOO", "rloo", {}), ("Dr.GRPO", "dr_grpo", {}), ("GRPO", "grpo", {}), ("GARL q=0.5", "garl", {"q": 0.5}),
    ("GARL q=0.75", "garl", {"q": 0.75}), ("IWAE / TRICE (q=1)", "iwae", {}), ("MaxRL T=8", "maxrl", {"T": 8}),
    ("pass@8", "pass_at_k", {"k": 8}), ("DCO n=8", "dco", {"n": 8}),
]
SOFT_CURVES = [("GARL q=0.5", "garl", {"q": 0.5}), ("GARL q=0.75", "garl", {"q": 0.75}),
               ("IWAE / TRICE (q=1)", "iwae", {}), ("RB-REINFORCE (q=0)", "rb_reinforce", {})]
# (method, kwargs, verifier) of the escape-time flows
ESCAPE = ([("grpo", {}, "hard"), ("rloo", {}, "hard"), ("maxrl", {"T": 8}, "hard"), ("pass_at_k", {"k": 8}, "hard"),
           ("dco", {"n": 8}, "hard"), ("iwae", {}, "hard"), ("iwae", {}, "soft"), ("log_likelihood", {}, "population")]
          + [(m, {"q": q}, v) for q in (0.25, 0.5, 0.75) for m, v in (("garl", "hard"), ("garl", "soft"), ("jq", "population"))])
CEILING_QS = (0.25, 0.5, 0.75, 1.0)



@dataclasses.dataclass(frozen=True)
class Config:
    """What the atlas study computes (see the module docstring for the rows)."""

    group: int = dataclasses.field(default=32, metadata={
        "help": "group size G of the amplification curves and the escape flows, 2..1024 (default 32)"})
    ceiling_groups: tuple[int, ...] = dataclasses.field(default=(8, 32, 128), metadata={
        "help": "group sizes G of the ceiling curves, each 2..1024 (default 8 32 128)", "metavar": "G"})
    n_p: int = dataclasses.field(default=60, metadata={
        "help": "points of the P grid in [1e-8, 0.99] of the curves, 10..1000 (default 60)"})
    method: tuple[str, ...] = dataclasses.field(default=(), metadata={
        "help": "methods declared outside the lab, each 'package.module:attr' (an estimators.Method or a "
                "coefficient function of log w), drawn with the lab's (default none)", "metavar": "MODULE:ATTR"})

    def validate(self) -> None:
        """Raise a one-line ValueError naming the first field outside its allowed range."""
        from tsallis_theory.estimators._pool import check_count as _count

        _count("group", self.group, 2, 1024)
        if not self.ceiling_groups:
            raise ValueError("ceiling_groups must hold at least one group size in [2, 1024]; got none")
        for g in self.ceiling_groups:
            _count("ceiling_groups", g, 2, 1024)
        _count("n_p", self.n_p, 10, 1000)
        from tsallis_theory.estimators import load_method

        for spec in self.method:
            m = load_method(spec)
            m.check_params(m.defaults, self.group)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


PRESETS = {
    "default": Config(),
    "smoke": Config(group=8, ceiling_groups=(8,), n_p=20),
}


def tasks(cfg: Config):
    """``(key, compute)`` pairs: one per curve, per (q, G) ceiling and per escape flow."""
    from tsallis_theory import atlas as A

    from tsallis_theory import estimators as E
    from tsallis_theory.estimators import load_method

    g = cfg.group
    ps = np.geomspace(1e-8, 0.99, cfg.n_p)
    user = [load_method(spec) for spec in cfg.method]
    hard_curves = HARD_CURVES + [(m.label or m.name, m.name, m.defaults) for m in user if m.hard_ok]
    soft_curves = SOFT_CURVES + [(m.label or m.name, m.name, m.defaults) for m in user if m.soft_ok]
    user_flows = [(m.name, m.defaults, v) for m in user for v, ok in (("hard", m.hard_ok), ("soft", m.soft_ok)) if ok]

    def population(m, kw):
        if E.get_method(m).population_amplification is not None:
            return np.asarray(A.population_amplification(m, ps, g=g, **kw)).tolist()
        return [float("nan")] * len(ps)

    model = A.SoftVerifierModel()
    thetas = np.array([model.theta_of_log_p(np.log(p)) for p in np.geomspace(1e-8, 0.45, 40)])
    for label, m, kw in hard_curves:
        yield ("curve", label, "hard", g), lambda label=label, m=m, kw=kw: [dict(
            kind="curve", label=label, method=m, verifier="hard", G=g, P=ps.tolist(),
            amplification=np.asarray(A.expected_amplification(m, ps, g, **kw)).tolist(),
            population=population(m, kw), **kw)]
    for label, m, kw in soft_curves:
        yield ("curve", label, "soft", g), lambda label=label, m=m, kw=kw: [dict(
            kind="curve", label=label, method=m, verifier="soft", G=g, P=model.success(thetas).tolist(),
            amplification=A.soft_amplification(m, thetas, g, model=model, **kw).tolist(), **kw)]
    for q in CEILING_QS:
        for gg in cfg.ceiling_groups:
            yield ("ceiling", q, gg), lambda q=q, gg=gg: [dict(
                kind="ceiling", method="garl", q=q, G=gg, P=ps.tolist(),
                amplification=np.asarray(A.expected_amplification("garl", ps, gg, q=q)).tolist())]
    p0s = np.geomspace(1e-7, 1e-3, 5)  # P ≪ 1/G, where the finite-group ceiling holds
    for m, kw, v in ESCAPE + user_flows:
        yield ("escape", m, v, kw.get("q"), g), lambda m=m, kw=kw, v=v: [
            dict(r, kind="escape") for r in A.escape_slopes([(m, kw, v)], p0s, g=g, model=model)]


def run(cfg: Config, out, *, fresh: bool = False, progress: bool = True) -> list[dict]:
    """Compute every task of ``cfg`` not yet in ``out/atlas.jsonl``; return all its rows.

    Resuming under another config raises ``results.ConfigMismatch`` (naming the fields) unless ``fresh``."""
    cfg.validate()
    return run_tasks(study_path(out, STUDY), cfg.to_json(), tasks(cfg), fresh=fresh, progress=progress, desc=STUDY)


def summary(rows: list[dict], cfg: Config) -> str:
    """One line per escape flow: its slope of log T on log(1/p0) with the standard error."""
    lines = []
    for r in (x for x in rows if x["kind"] == "escape"):
        q = f" q={r['q']:g}" if "q" in r else ""
        lines.append(f"escape slope {r['method'] + q:<16} {r['verifier']:<10} {r['slope']:.3f} ± {r['slope_se']:.3f}")
    lines.append(f"{len(rows)} rows")
    return "\n".join(lines)
