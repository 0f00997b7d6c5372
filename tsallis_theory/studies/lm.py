"""The small-LM study: base checkpoints, then LM-COLD, LM-WARM and LM-NOISE runs, one result row per run.

Files under ``out`` (JSON lines, resumable with ``ResultsFile``):
  bases.jsonl   one row per base checkpoint with its measured p0 (docs/lm.md)
  runs.jsonl    one row per (experiment, base, method, seed): escape step, held-out metrics per chunk,
                per-step mean P and contamination
Checkpoints (base models, and the train state of the run in progress) live under ``ckpt_dir``; an
interrupted study resumes: finished rows are skipped and the run in progress continues from its last chunk.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import Any

from tsallis_theory.lm.config import StudyConfig
from tsallis_theory.lm.objectives import parse_method
from tsallis_theory.lm.trainer import compile_key, make_trainer, train
from tsallis_theory.results import ResultsFile

KEY_FIELDS = ("experiment", "base", "method", "seed")
KEEP_TRAINERS = 4  # compiled trainers kept at once (one per coefficient rule: grpo, garl, paft, sft)


def _round(xs, digits=5):
    return [float(f"{x:.{digits}g}") for x in xs]


def plan(study: StudyConfig, methods: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Every run of the study, in order: (experiment, base, method, seed, steps, noise_eps).

    Order: seed by seed, and within a seed LM-COLD core methods over every cold base, LM-NOISE, LM-WARM,
    then the LM-COLD side methods, so that a study cut short holds whole seeds, with the rows the three
    checks need most first."""
    keep = None if methods is None else {parse_method(m).name for m in methods}
    runs = []
    cold_bases = [f"cold-{t:g}" for t in study.pretrain.p0_targets]
    for seed in study.seeds:
        for exp, bases, meths, steps, eps in (
            ("cold", cold_bases, study.cold_methods, study.cold_steps, 0.0),
            ("noise", [study.noise_base], study.noise_methods, study.noise_steps, study.noise_eps),
            ("warm", ["warm"], study.warm_methods, study.warm_steps, 0.0),
            ("cold", list(study.cold_side_bases), study.cold_side_methods, study.cold_steps, 0.0),
        ):
            for method in meths:
                if keep is not None and parse_method(method).name not in keep:
                    continue
                for base in bases:
                    runs.append({"experiment": exp, "base": base, "method": method, "seed": seed,
                                 "steps": steps, "noise_eps": eps})
    return runs


def run_study(study: StudyConfig, out, ckpt_dir, *, methods=None, max_steps: int | None = None,
              progress: bool = True) -> list[dict[str, Any]]:
    """Run (or resume) the study; returns the run rows written so far."""
    from tqdm.auto import tqdm

    from tsallis_theory.lm.base import build_bases, load_base

    out, ckpt_dir = Path(out), Path(ckpt_dir)
    pre = study.pretrain
    if max_steps is not None:
        pre = dataclasses.replace(pre, warm_steps=min(pre.warm_steps, max_steps),
                                  warm_max_steps=min(pre.warm_max_steps, max_steps),
                                  cold_max_steps=min(pre.cold_max_steps, max_steps))
    config = {"study": dataclasses.asdict(study), "max_steps": max_steps}
    bases_file = ResultsFile(out / "bases.jsonl", config)
    bases_file.start()
    records = build_bases(study.task, study.model, pre, ckpt_dir / "bases", progress=progress,
                          strict=max_steps is None)
    known = {r["name"] for r in bases_file.rows()}
    for r in records:
        if r["name"] not in known:
            bases_file.append({k: v for k, v in r.items() if k != "path"})
    by_name = {r["name"]: r for r in records}

    runs_file = ResultsFile(out / "runs.jsonl", config)
    runs_file.start()
    done = runs_file.done_keys(KEY_FIELDS)
    todo = [r for r in plan(study, methods) if tuple(r[f] for f in KEY_FIELDS) not in done]
    todo = [r for r in todo if r["base"] in by_name]  # bases not reached under --max-steps are skipped
    trainers: dict[Any, Any] = {}
    policies: dict[str, Any] = {}
    bar = tqdm(todo, desc=f"lm {study.name}", unit="run", disable=not progress)
    for spec in bar:
        bar.set_postfix_str(f"{spec['experiment']} {spec['base']} {spec['method']}")
        steps = spec["steps"] if max_steps is None else min(spec["steps"], max_steps)
        cfg = dataclasses.replace(study.train, method=spec["method"], steps=steps, noise_eps=spec["noise_eps"],
                                  chunk=min(study.train.chunk, steps),
                                  seed=spec["seed"], stop_on_escape=spec["experiment"] == "cold")
        if spec["base"] not in policies:
            policies[spec["base"]], _ = load_base(ckpt_dir / "bases" / spec["base"], study.task, study.model, pre)
        policy = policies[spec["base"]]
        tkey = compile_key(cfg)
        if tkey not in trainers:  # one compilation per coefficient rule, shared by bases, q, ε and seeds
            if len(trainers) >= KEEP_TRAINERS:
                trainers.pop(next(iter(trainers)))
            trainers[tkey] = make_trainer(study.task, cfg, policy)
        run_name = "-".join(str(spec[f]) for f in KEY_FIELDS)
        ckpt = ckpt_dir / "runs" / run_name
        started = time.perf_counter()
        _, hist = train(study.task, cfg, policy, policy_desc={"base": spec["base"], "study": study.name},
                        checkpoint=ckpt, trainer=trainers[tkey], progress=progress, desc=run_name)
        method = parse_method(spec["method"])
        final = hist["evals"][-1]
        row = {**{f: spec[f] for f in KEY_FIELDS}, "q": method.q, "p0": by_name[spec["base"]]["p0"],
               "noise_eps": spec["noise_eps"], "budget": steps, "steps_run": len(hist["steps"]["mean_P"]),
               "escape_step": hist["escape_step"], "escape_delta": cfg.escape_delta, "escape_window": cfg.escape_window,
               "final": final, "evals": hist["evals"], "wall_s": round(time.perf_counter() - started, 2),
               "mean_P": _round(hist["steps"]["mean_P"]), "contamination": _round(hist["steps"]["contamination"]),
               "max_advantage": _round(hist["steps"]["max_advantage"]), "grad_norm": _round(hist["steps"]["grad_norm"])}
        runs_file.append(row)
        for suffix in (".eqx", ".json"):
            Path(str(ckpt) + suffix).unlink(missing_ok=True)
    bar.close()
    return runs_file.rows()


def clean(ckpt_dir) -> None:
    shutil.rmtree(ckpt_dir, ignore_errors=True)
