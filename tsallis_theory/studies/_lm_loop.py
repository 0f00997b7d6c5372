"""Host loops of the small-LM study (claims LM-COLD, LM-WARM, LM-NOISE): they drive the pure math of
``tsallis_theory.lm`` chunk by chunk and step by step, show progress, and write checkpoints.

* ``train``: a run of ``cfg.steps`` steps on a trainer (``lm.trainer``), evaluating on held-out prompts
  between chunks and checkpointing the train state there, so that an interrupted run continues from its
  last chunk (and repeats an uninterrupted one bit for bit).
* ``train_batch``: the same for R runs of one compile key at once, as one program with a leading run axis
  (``Trainer.init_batch``), optionally sharded over devices (``sharding.run_mesh``); one checkpoint holds
  the batch's state, so an interrupted batch continues from its last chunk.
* ``BaseBuilder``: the stages of the base-checkpoint procedure (``lm.base``), each writing the base
  checkpoints it keeps; stages S and B start from stage A's checkpoint.
* ``Trainers``: the compiled trainers of a study, one per ``compile_key`` (one for GARL, PAFT
  and GRPO, whose rule is data; one for SFT; one per optimiser and data source), and the batched programs
  it compiles ahead in a background thread (``Trainers.compile_ahead``).

Checkpoints are ``lm.checkpoints`` files (a pytree and a JSON sidecar holding the config they belong to):
``<ckpt>/bases/<name>`` for the bases, ``<ckpt>/runs/<run>`` for the run in progress. They are written in a
background thread while training goes on (``ChunkCheckpoints``).
"""

from __future__ import annotations

import dataclasses
import threading
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jax

from tsallis_theory.lm import checkpoints as C
from tsallis_theory.lm.configs import PretrainConfig, TaskConfig, TrainConfig, TransformerConfig
from tsallis_theory.lm.trainer import Trainer, compile_key, first_crossing, make_trainer
from tsallis_theory.results import Deadline, TimeLimitReached

KEEP_TRAINERS = 4  # compiled trainers kept at once (a study has a few compile keys: trainer.compile_key)
SAVE_SPACING = 10  # between checkpoints, train at least this many times as long as the last one took to write


def _stop_if_late(deadline: Deadline | None, chunk_s: float, saver: "ChunkCheckpoints", state, extra,
                  step: int, total: int, desc: str) -> None:
    """Between chunks, with more to train: if another chunk of ``chunk_s`` seconds (the last one's: after the
    first chunk, its compilation too) and a stop (``ChunkCheckpoints.stop_cost``: the save in flight, then
    a save of this chunk) would pass ``deadline``, save the state now (unless this chunk was saved) and
    raise ``TimeLimitReached`` naming the step and the run or batch ``desc``."""
    if deadline is None or deadline.allows(chunk_s + saver.stop_cost(state)):
        return
    saver.after_chunk(state, extra, force=True)
    raise TimeLimitReached(f"time limit reached: stopped at step {step} of {total} ({desc}), saved; rerun to resume")


def _check_deadline(deadline: Deadline | None, checkpoint) -> None:
    if deadline is not None and deadline.at is not None and checkpoint is None:
        raise ValueError("a time limit needs a checkpoint to save the run in progress to; got checkpoint=None")


class ChunkCheckpoints:
    """Checkpoints between chunks, spaced so that writing them costs at most 1/``SAVE_SPACING`` of the
    time: the first chunk is always saved, a later one when the time since the last save ended is at least
    ``SAVE_SPACING`` times that save's duration (``save_s``). A small run saves after every chunk; a batch
    of 60 runs of 25M parameters (6 GB, about 17 s to write) every few minutes. A resumed run continues
    from the last save and repeats the chunks after it exactly (every draw is keyed by seed and step).

    With ``background`` (the default) a save is written by a thread while the next chunks train: the state's
    arrays are immutable and ``extra`` is copied first, so the file holds the chunk it was started for. At
    most one save is in flight; a chunk that ends while one is, is not saved. A forced save (the time limit:
    ``_stop_if_late``) waits for the save in flight and writes in the caller's thread; ``wait()`` waits too
    and re-raises a failed save's error; a loop runs inside ``with saver:``, so that no save outlives it."""

    def __init__(self, path, config: dict[str, Any], kind: str, background: bool = True):
        self.path, self.config, self.kind, self.background = path, config, kind, background
        self._last, self.save_s = None, 0.0
        self._chunks, self._saved_chunk = 0, None  # chunks seen, and the one last saved (or being saved)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.written, self.written_s = 0, 0.0  # saves written, and their summed duration (for the logs)

    def after_chunk(self, state, extra, force: bool = False) -> None:
        """After each chunk: save ``state`` (and ``extra``) if the spacing allows it. Called again with
        ``force`` for the same chunk: save it unless it was saved, and return once it is written."""
        now = time.perf_counter()
        self._chunks += not force
        if self.path is None:
            return
        if self._saved_chunk == self._chunks:  # written or in flight
            if force:
                self.wait()
            return
        if not force and (self._in_flight() or (self._last is not None and now - self._last < SAVE_SPACING * self.save_s)):
            return
        self.wait()
        self._saved_chunk = self._chunks
        job = (state, _copy_containers(extra), now)
        if force or not self.background:
            self._write(*job)
            self.wait()  # raises what the write raised
        else:
            self._thread = threading.Thread(target=self._write, args=job, name="checkpoint")
            self._thread.start()

    def _write(self, state, extra, started: float) -> None:
        try:
            C.save(self.path, state, self.config, kind=self.kind, extra=extra)
        except BaseException as exc:  # handed to the loop's thread by wait()
            self._error = exc
        self._last = time.perf_counter()
        self.save_s = self._last - started  # how long the last save took
        self.written, self.written_s = self.written + 1, self.written_s + self.save_s
        nbytes = _nbytes(state)
        if self.save_s > 0 and nbytes:
            ChunkCheckpoints.bytes_per_s = nbytes / self.save_s

    # bytes per second of the last save written in this process (the batches of one study are alike): the
    # cost of a save before this checkpointer has timed one of its own
    bytes_per_s: float | None = None

    def stop_cost(self, state) -> float:
        """Seconds that stopping now would take: the save in flight, if any (at most one save's time), then a
        save of ``state``. A save's time is this checkpointer's last one, else estimated from the process's
        last save rate; with neither, the save in flight is waited for and timed."""
        if self.path is None:
            return 0.0
        in_flight = self._in_flight()
        if self.save_s > 0:
            one = self.save_s
        elif ChunkCheckpoints.bytes_per_s:
            one = _nbytes(state) / ChunkCheckpoints.bytes_per_s
        elif in_flight:
            self.wait()
            one, in_flight = self.save_s, False
        else:
            one = 0.0
        return one * (2 if in_flight else 1)

    def _in_flight(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> "ChunkCheckpoints":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """A loop's ``with saver:`` ends once its last save is written; an error already leaving the loop is
        the one reported, not the save's."""
        self.wait(raise_error=exc_type is None)

    def wait(self, raise_error: bool = True) -> None:
        """Return once no save is in flight; raise the error of a save that failed (unless not
        ``raise_error``: the loop is already raising another)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            exc, self._error = self._error, None
            if raise_error:
                raise exc


def _nbytes(tree) -> int:
    """Bytes of the arrays in ``tree``."""
    return sum(int(getattr(x, "nbytes", 0)) for x in jax.tree.leaves(tree))


def _copy_containers(x):
    """``x`` with its dicts and lists copied (their other items are immutable: numbers, strings, None)."""
    if isinstance(x, dict):
        return {k: _copy_containers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_copy_containers(v) if isinstance(v, (dict, list)) else v for v in x]
    return x


def run_config(task: TaskConfig, cfg: TrainConfig, policy_desc: dict[str, Any]) -> dict[str, Any]:
    """What a training checkpoint must match to be resumed: task, policy and every TrainConfig field
    except the budget ``steps`` (a run may be extended)."""
    train_ = dataclasses.asdict(cfg)
    train_.pop("steps")
    return {"task": dataclasses.asdict(task), "policy": policy_desc, "train": train_}


def train(task: TaskConfig, cfg: TrainConfig, policy, *, policy_desc: dict[str, Any] | None = None,
          checkpoint=None, trainer: Trainer | None = None, mesh=None, progress: bool = True,
          desc: str = "train", deadline: Deadline | None = None) -> tuple[Any, dict[str, Any]]:
    """Run ``cfg.steps`` steps (in chunks), evaluating and checkpointing between chunks.

    Resumes from ``checkpoint`` (a path without suffix) when it exists; a checkpoint from another config
    or a corrupted one raises ValueError. With a ``deadline``, stops between chunks when another would end
    past it, saving the state first (``TimeLimitReached``). Returns (trained policy, history) where history
    holds the per-step metrics (lists), the held-out evaluations (one dict per chunk, with its step) and
    ``escape_step`` (1-based step at which the windowed mean_P first reaches δ, or None)."""
    from tqdm.auto import tqdm

    _check_deadline(deadline, checkpoint)
    trainer = trainer or make_trainer(task, cfg, policy, mesh)
    state = trainer.init(policy, cfg)
    history: dict[str, Any] = {"steps": {}, "evals": [], "escape_step": None}
    config = run_config(task, cfg, policy_desc or {"type": type(policy).__name__})
    saver = ChunkCheckpoints(checkpoint, config, "train")
    if checkpoint is not None and C.exists(checkpoint):
        state, history = C.load(checkpoint, state, config, kind="train")
    if not history["evals"]:
        history["evals"].append({"step": 0,
                                 **{k: float(v) for k, v in trainer.evaluate(state.params, cfg.seed).items()}})
    done = int(state.step)
    bar = tqdm(total=cfg.steps, initial=min(done, cfg.steps), desc=desc, unit="step", leave=False,
               disable=not progress)
    def more() -> bool:
        return done < cfg.steps and not (cfg.stop_on_escape and history["escape_step"] is not None)

    with saver:  # no save outlives the loop
        while more():
            started = time.perf_counter()
            state, metrics = trainer.train_chunk(state)
            done = int(state.step)
            _record_chunk(history, metrics, trainer.evaluate(state.params, cfg.seed), done, cfg)
            saver.after_chunk(state, history)
            bar.update(cfg.chunk)
            bar.set_postfix(P=f"{history['steps']['mean_P'][-1]:.3g}")
            if more():
                _stop_if_late(deadline, time.perf_counter() - started, saver, state, history, done, cfg.steps, desc)
    bar.close()
    return trainer.combine(state.params), history


def _record_chunk(history: dict[str, Any], metrics: dict[str, Any], evals: dict[str, Any], step: int,
                  cfg: TrainConfig) -> None:
    """Append one chunk's per-step metrics and its held-out evaluation to ``history``; update the escape step."""
    for k, v in metrics.items():
        history["steps"].setdefault(k, []).extend(float(x) for x in v)
    history["evals"].append({"step": step, **{k: float(v) for k, v in evals.items()}})
    if history["escape_step"] is None:
        hit = first_crossing(history["steps"]["mean_P"], cfg.escape_delta, cfg.escape_window)
        history["escape_step"] = None if hit is None else hit + 1


def padded_batch(cfgs: list[TrainConfig], policies: list, width: int = 0, run_mesh=None) -> tuple[list, list]:
    """The run configs and policies of a batch padded with copies of its last run to at least ``width`` runs,
    then to a multiple of ``run_mesh``'s device count (the padded runs are computed, then dropped)."""
    from tsallis_theory.lm.sharding import pad_runs

    size = 1 if run_mesh is None else run_mesh.size
    pad = max(int(width) - len(cfgs), 0)
    return pad_runs(cfgs + cfgs[-1:] * pad, size), pad_runs(policies + policies[-1:] * pad, size)


def train_batch(task: TaskConfig, cfgs: list[TrainConfig], policies: list, *, policy_descs: list[dict[str, Any]],
                trainer: Trainer, checkpoint=None, run_mesh=None, width: int = 0, progress: bool = True,
                desc: str = "batch", deadline: Deadline | None = None) -> list[dict[str, Any]]:
    """Run R runs (``cfgs[i]`` from ``policies[i]``, all of ``trainer``'s compile key and one budget) as one
    program with a leading run axis; returns one history per run, as ``train`` does (``deadline`` too).

    The batch is padded with copies of its last run (computed, then dropped) to at least ``width`` runs, so
    that batches of one compile key share a shape and so a compilation, and to a multiple of the device
    count of ``run_mesh``, which shards the run axis over its devices. Resumes from ``checkpoint`` (the
    batch's state and histories after its last chunk) when it exists; a checkpoint of another batch raises
    ValueError."""
    from tqdm.auto import tqdm

    _check_deadline(deadline, checkpoint)
    n = len(cfgs)
    steps = {(c.steps, c.chunk) for c in cfgs}
    if len(steps) != 1:
        raise ValueError(f"the runs of a batch need one budget and chunk; got (steps, chunk) {sorted(steps)}")
    total = cfgs[0].steps
    size = 1 if run_mesh is None else run_mesh.size
    pcfgs, ppols = padded_batch(cfgs, policies, width, run_mesh)
    state = trainer.init_batch(ppols, pcfgs, run_mesh)
    histories = [{"steps": {}, "evals": [], "escape_step": None} for _ in range(n)]
    config = {"runs": [run_config(task, c, d) for c, d in zip(cfgs, policy_descs)], "devices": size,
              "width": len(pcfgs)}
    saver = ChunkCheckpoints(checkpoint, config, "train-batch")
    if checkpoint is not None and C.exists(checkpoint):
        state, extra = C.load(checkpoint, state, config, kind="train-batch")
        histories = extra["histories"]
    seeds = [c.seed for c in pcfgs]

    def evaluate(st):
        ev = jax.device_get(trainer.evaluate_batch(st.params, seeds))  # one transfer, not one per run
        return [{k: v[i] for k, v in ev.items()} for i in range(n)]

    if not histories[0]["evals"]:
        for h, ev in zip(histories, evaluate(state)):
            h["evals"].append({"step": 0, **{k: float(v) for k, v in ev.items()}})
    done = int(state.step[0])
    bar = tqdm(total=total, initial=min(done, total), desc=desc, unit="step", leave=False, disable=not progress)
    chunk_s = []  # wall seconds per chunk (the first includes compilation), for the closing line
    def more() -> bool:
        return done < total and not all(c.stop_on_escape and h["escape_step"] is not None
                                        for c, h in zip(cfgs, histories))

    with saver:
        while more():
            started = time.perf_counter()
            state, metrics = trainer.train_chunk_batch(state)
            metrics = jax.device_get(metrics)
            chunk_s.append(time.perf_counter() - started)
            done = int(state.step[0])
            for i, (h, ev) in enumerate(zip(histories, evaluate(state))):
                _record_chunk(h, {k: v[i] for k, v in metrics.items()}, ev, done, cfgs[i])
            saver.after_chunk(state, {"histories": histories})
            bar.update(cfgs[0].chunk)
            if more():
                _stop_if_late(deadline, time.perf_counter() - started, saver, state, {"histories": histories}, done,
                              total, desc)
    bar.close()
    if progress and chunk_s:
        rest = chunk_s[1:] or chunk_s
        tqdm.write(f"{desc}: {len(pcfgs)} runs (padded) x {total} steps; first chunk {chunk_s[0]:.1f} s "
                   f"(compilation included), then {sum(rest) / len(rest):.3f} s per {cfgs[0].chunk}-step chunk; "
                   f"{saver.written} checkpoints written in {saver.written_s:.1f} s"
                   f"{' (in the background)' if saver.background else ''}")
    return histories


def remove_checkpoint(path) -> None:
    """Delete the checkpoint files at ``path`` (a path without suffix), if any."""
    for suffix in (".eqx", ".json"):
        Path(str(path) + suffix).unlink(missing_ok=True)


class Trainers:
    """Compiled trainers by ``compile_key``: one compilation per key, shared by the bases, rules, q,
    ε and seeds of a study; at most ``KEEP_TRAINERS`` are kept (the oldest is dropped). All of them share
    prompts across rollouts or none do (``share_prompt``, ``make_trainer``).

    ``compile_ahead`` compiles batch programs in a background thread, in order, while the caller goes on
    (pretraining, earlier batches): on an accelerator a batch program takes about a minute and a half to
    compile, on the host's otherwise idle cores. ``get`` waits for the compilations in flight of the key it
    returns, so that no program is compiled twice. The programs are the ones a first call would compile, so
    the rows do not change."""

    def __init__(self, task: TaskConfig, mesh=None, share_prompt: bool = False):
        self.task, self.mesh, self.share_prompt = task, mesh, share_prompt
        self._compiled: dict[tuple, Trainer] = {}
        self._lock = threading.Lock()
        self._ahead: dict[tuple, list[Future]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def _trainer(self, cfg: TrainConfig, policy) -> Trainer:
        key = compile_key(cfg)
        with self._lock:
            if key not in self._compiled:
                if len(self._compiled) >= KEEP_TRAINERS:
                    self._compiled.pop(next(iter(self._compiled)))
                self._compiled[key] = make_trainer(self.task, cfg, policy, self.mesh, self.share_prompt)
            return self._compiled[key]

    def get(self, cfg: TrainConfig, policy) -> Trainer:
        """The trainer of ``cfg``'s compile key (made on first use), once its programs compiling ahead are
        compiled. A compilation ahead that failed (say, out of memory beside the batch then training) is a
        warning: the program compiles at its first call instead."""
        for job in self._ahead.pop(compile_key(cfg), []):
            try:
                job.result()
            except Exception as exc:  # noqa: BLE001 - any failure leaves the ordinary first-call compilation
                warnings.warn(f"compiling a batch program ahead failed ({type(exc).__name__}: {exc}); it compiles "
                              f"at its first call instead", RuntimeWarning, stacklevel=2)
        return self._trainer(cfg, policy)

    def compile_ahead(self, batches, run_mesh=None, report=None) -> None:
        """Queue the batched programs (``Trainer.compile_batch``) of ``batches``, (run configs, policies,
        width) triples as ``train_batch`` takes them, for compilation in a background thread; a program (a
        compile key and padded width) is queued once, and those of the first ``KEEP_TRAINERS`` compile keys
        only (a later one would drop a trainer compiled ahead). Only shapes matter: any policies of the
        study's architecture will do. Each compilation builds one stand-in batch state on the device (for
        the gpu preset's 60 runs, 6 GB) and drops it. ``report``, if given, is called from the background
        thread with one line per program compiled: its compile key's kind, optimiser and width, and the
        seconds its train and evaluation programs took (the compilation cost, apart from any training)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compile-ahead")
        queued = set()
        for cfgs, policies, width in batches:
            pcfgs, ppols = padded_batch(cfgs, policies, width, run_mesh)
            program = (compile_key(pcfgs[0]), len(pcfgs))
            if len({key for key, _ in queued | {program}}) > KEEP_TRAINERS:
                break  # a further key would evict a trainer compiled ahead before its first use
            if program not in queued:
                queued.add(program)
                job = self._pool.submit(self._compile_batch, pcfgs, ppols, run_mesh, report)
                self._ahead.setdefault(program[0], []).append(job)

    def _compile_batch(self, pcfgs, ppols, run_mesh, report) -> None:
        trainer = self._trainer(pcfgs[0], ppols[0])  # made here, in the background, like its programs
        seconds = trainer.compile_batch(trainer.init_batch(ppols, pcfgs, run_mesh), [c.seed for c in pcfgs])
        if report is not None:
            report(f"compiled ahead: {compile_key(pcfgs[0])[0]} programs ({pcfgs[0].optimizer}, {len(pcfgs)} runs): "
                   f"train chunk {seconds['train_chunk']:.1f} s, evaluation {seconds['evaluate']:.1f} s")

    def close(self) -> None:
        """Drop the queued compilations not started; the one in progress finishes in its thread."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._ahead.clear()


def base_config(task: TaskConfig, model_cfg: TransformerConfig, pre: PretrainConfig) -> dict[str, Any]:
    """What a base checkpoint must match: the task, the architecture and the pretraining procedure."""
    return {"task": dataclasses.asdict(task), "model": dataclasses.asdict(model_cfg),
            "pretrain": dataclasses.asdict(pre)}


def base_path(ckpt_dir, name: str) -> Path:
    """The checkpoint of base ``name`` under the study's checkpoint folder."""
    return Path(ckpt_dir) / "bases" / name


class BaseBuilder:
    """The base-checkpoint procedure as steps that each return their base records (result rows): ``warm()``
    runs stage A from the initialisation, ``slip()`` stage S and ``cold()`` stage B from the warm checkpoint."""

    def __init__(self, task: TaskConfig, model_cfg: TransformerConfig, pre: PretrainConfig, ckpt_dir, *,
                 strict: bool = True, progress: bool = True):
        self.task, self.model_cfg, self.pre = task, model_cfg, pre
        self.ckpt_dir, self.strict, self.progress = Path(ckpt_dir), strict, progress
        self.config = base_config(task, model_cfg, pre)
        self._measure = None

    def _measure_fn(self, model):
        from tsallis_theory.lm.base import make_measure

        if self._measure is None:  # one compilation for every stage
            self._measure = make_measure(self.task, model, self.pre)
        return self._measure

    def _run(self, stage, total: int, desc: str, show: str) -> list[dict[str, Any]]:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc, leave=False, disable=not self.progress)
        kept = []
        for p in stage:
            bar.update(p.step - bar.n)
            if p.metrics is not None:
                bar.set_postfix({show: f"{p.metrics[show]:.3g}"})
            for rec in p.kept:
                C.save(base_path(self.ckpt_dir, rec["name"]), p.model, self.config, kind="base", extra=rec)
                kept.append(rec)
        bar.close()
        return kept

    def warm(self) -> list[dict[str, Any]]:
        """Stage A: the "warm" base (its checkpoint and its record)."""
        from tsallis_theory.lm.base import init_model, warm_stage

        model = init_model(self.task, self.model_cfg, self.pre)
        stage = warm_stage(self.task, model, self.pre, self._measure_fn(model), strict=self.strict)
        return self._run(stage, self.pre.warm_steps, "pretrain stage A", "rationale_acc")

    def slip(self) -> list[dict[str, Any]]:
        """Stage S from the warm checkpoint: the "slip-<target>" bases reached (their checkpoints and records);
        none without ``slip_p0_targets``."""
        from tsallis_theory.lm.base import slip_stage

        if not self.pre.slip_p0_targets:
            return []
        model, warm = self.load("warm")
        stage = slip_stage(self.task, model, self.pre, self._measure_fn(model), warm["steps"], strict=self.strict)
        return self._run(stage, self.pre.slip_max_steps, "pretrain stage S", "eval_mean_P")

    def cold(self) -> list[dict[str, Any]]:
        """Stage B from the warm checkpoint: the "cold-<target>" bases reached (their checkpoints and records)."""
        from tsallis_theory.lm.base import cold_stage

        model, warm = self.load("warm")
        stage = cold_stage(self.task, model, self.pre, self._measure_fn(model), warm["steps"], strict=self.strict)
        return self._run(stage, self.pre.cold_max_steps, "pretrain stage B", "eval_mean_P")

    def load(self, name: str):
        """Base ``name`` as (Transformer, record); ValueError if missing, of another config, or corrupted."""
        return load_base(base_path(self.ckpt_dir, name), self.task, self.model_cfg, self.pre)


def load_base(path, task: TaskConfig, model_cfg: TransformerConfig, pre: PretrainConfig):
    """A base checkpoint as (Transformer, record) (ValueError for another config or a corrupted file)."""
    import jax

    from tsallis_theory.lm.transformer import Transformer

    like = Transformer(jax.random.PRNGKey(0), task, model_cfg)
    return C.load(path, like, base_config(task, model_cfg, pre), kind="base")
