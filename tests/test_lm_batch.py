"""Batched LM runs: many runs of one compile key as one program with a leading run axis (claims LM-COLD,
LM-WARM, LM-NOISE run on it). Oracles: the same runs executed alone (float64, to 1e-12), and an
uninterrupted batch for the resumed one."""

import dataclasses

import jax
import numpy as np
import pytest

from tsallis_theory.lm import checkpoints as C
from tsallis_theory.lm.configs import TaskConfig, TrainConfig
from tsallis_theory.lm.sharding import pad_runs
from tsallis_theory.lm.tabular import TabularPolicy
from tsallis_theory.lm.trainer import make_trainer, unstack_runs
from tsallis_theory.results import Deadline, TimeLimitReached
from tsallis_theory.studies._lm_loop import train, train_batch

TASK = TaskConfig(modulus=3, chain_length=2)
BASE = TrainConfig(method="garl-0.75", steps=4, chunk=2, lr=1.0, batch_prompts=4, group_size=3, eval_prompts=4,
                   max_grad_norm=2.0)
# one compile key, every per-run knob varied: q plan, ε, seed, lr, clipping, update norm, the coefficient
# rule (GARL, PAFT, GRPO: objectives.rl_coefficients) and the training data (a fixed set of 5 for the PAFT run)
RUNS = [BASE, dataclasses.replace(BASE, method="garl-1", lr=0.3, seed=3, noise_eps=0.2),
        dataclasses.replace(BASE, method="rb-rloo", seed=1, update_norm=0.05, max_grad_norm=0.0),
        dataclasses.replace(BASE, method="schedule", schedule_switch=1, seed=2, lr=2.0),
        dataclasses.replace(BASE, method="paft-0.5", seed=4, noise_eps=0.1, train_set=5),
        dataclasses.replace(BASE, method="grpo", seed=5, lr=0.5)]


@pytest.fixture(scope="module")
def policies():
    """Two different base policies (runs from different bases share a batch)."""
    a = TabularPolicy(jax.random.PRNGKey(0), TASK, init_scale=0.5, digit_bias=-1.0)
    b = TabularPolicy(jax.random.PRNGKey(1), TASK, init_scale=0.3, digit_bias=-2.0)
    return [a, b, a, b, a, b]


@pytest.fixture(scope="module")
def trainer(policies):
    return make_trainer(TASK, BASE, policies[0])


def test_every_run_of_a_batch_equals_the_run_alone(trainer, policies):
    hists = train_batch(TASK, RUNS, policies, policy_descs=[{}] * len(RUNS), trainer=trainer, progress=False)
    state = trainer.init_batch(policies, RUNS)
    state, _ = trainer.train_chunk_batch(state)
    state, _ = trainer.train_chunk_batch(state)
    for i, (cfg, pol) in enumerate(zip(RUNS, policies)):
        alone, hist = train(TASK, cfg, pol, trainer=trainer, progress=False)
        batched = unstack_runs(state.params, len(RUNS))[i]
        for a, b in zip(jax.tree.leaves(trainer.combine(batched)), jax.tree.leaves(alone)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)
        # logged metrics are float32 means (a vmapped reduction may round differently at float32)
        for k, v in hist["steps"].items():
            np.testing.assert_allclose(hists[i]["steps"][k], v, rtol=1e-6, atol=1e-7)
        for e_b, e_a in zip(hists[i]["evals"], hist["evals"]):
            assert e_b.keys() == e_a.keys()
            np.testing.assert_allclose([e_b[k] for k in e_a], [e_a[k] for k in e_a], rtol=1e-6, atol=1e-7)
        assert hists[i]["escape_step"] == hist["escape_step"]
    assert hists[3]["steps"]["q"] == [1.0, 0.0, 0.0, 0.0]  # the schedule's switch is per-run data
    # padding to a width (so that a group's batches share one compiled shape) adds runs that are dropped
    padded = train_batch(TASK, RUNS[:5], policies[:5], policy_descs=[{}] * 5, trainer=trainer, width=len(RUNS),
                         progress=False)
    assert len(padded) == 5 and padded == hists[:5]


def test_killed_batch_resumes_from_its_checkpoint(trainer, policies, tmp_path, monkeypatch):
    full = train_batch(TASK, RUNS[:2], policies[:2], policy_descs=[{}] * 2, trainer=trainer, progress=False)
    ck, save = tmp_path / "batch", C.save

    def save_then_stop(path, tree, config, *, kind, extra=None):
        save(path, tree, config, kind=kind, extra=extra)
        raise KeyboardInterrupt

    monkeypatch.setattr(C, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        train_batch(TASK, RUNS[:2], policies[:2], policy_descs=[{}] * 2, trainer=trainer, checkpoint=ck,
                    progress=False)
    monkeypatch.setattr(C, "save", save)
    resumed = train_batch(TASK, RUNS[:2], policies[:2], policy_descs=[{}] * 2, trainer=trainer, checkpoint=ck,
                          progress=False)
    assert resumed == full  # the chunk before the kill is neither lost nor redone
    with pytest.raises(ValueError, match="config"):  # a checkpoint of another batch is refused
        train_batch(TASK, RUNS[1:3], policies[1:3], policy_descs=[{}] * 2, trainer=trainer, checkpoint=ck,
                    progress=False)


def test_bad_batches_are_one_line_errors(trainer, policies):
    with pytest.raises(ValueError, match="different compile keys") as err:
        trainer.init_batch(policies[:2], [BASE, dataclasses.replace(BASE, method="sft")])
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="one budget"):
        train_batch(TASK, [BASE, dataclasses.replace(BASE, steps=6)], policies[:2], policy_descs=[{}] * 2,
                    trainer=trainer, progress=False)
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=-1.0)
    with pytest.raises(ValueError, match="noise_eps"):
        TrainConfig(noise_eps=0.7)
    assert pad_runs([1, 2, 3], 2) == [1, 2, 3, 3] and pad_runs([1, 2], 2) == [1, 2]


def test_study_names_the_grpo_convention():
    from tsallis_theory.lm import objectives
    from tsallis_theory.studies import lm

    assert lm.GRPO_CONVENTION == objectives.GRPO_CONVENTION


def test_checkpoints_are_spaced_by_their_cost(monkeypatch, tmp_path):
    """The first chunk is saved; later ones once the time since the last save reaches SAVE_SPACING times that
    save's duration (a fake clock: each save takes 1 s, each chunk 0.5 s)."""
    from tsallis_theory.studies import _lm_loop as loop

    clock, saved = [0.0], []
    monkeypatch.setattr(loop.time, "perf_counter", lambda: clock[0])

    def fake_save(path, tree, config, *, kind, extra=None):
        saved.append(extra)
        clock[0] += 1.0

    monkeypatch.setattr(C, "save", fake_save)
    saver = loop.ChunkCheckpoints(tmp_path / "ck", {}, "train", background=False)
    for chunk in range(60):
        clock[0] += 0.5
        saver.after_chunk(None, chunk)
    spacing = loop.SAVE_SPACING * 1.0
    assert saved[0] == 0 and len(saved) == 1 + int((59 - 0) * 0.5 // spacing)
    assert all(b - a == spacing / 0.5 for a, b in zip(saved, saved[1:]))
    quiet = loop.ChunkCheckpoints(None, {}, "train")  # no path: never saves
    quiet.after_chunk(None, 0)
    assert len(saved) == 1 + int(59 * 0.5 // spacing)


def test_checkpoints_are_written_in_the_background(monkeypatch, tmp_path):
    """A save runs in a thread while training goes on: the chunk that ends during it is not saved, the file
    holds ``extra`` as it was when its chunk ended, a forced save waits for the one in flight and then
    writes before returning, and a failed save's error reaches the loop at ``wait()``."""
    import threading

    from tsallis_theory.studies import _lm_loop as loop

    release, saved = threading.Event(), []

    def slow_save(path, tree, config, *, kind, extra=None):
        release.wait(10)
        saved.append((tree, extra))

    monkeypatch.setattr(C, "save", slow_save)
    monkeypatch.setattr(loop, "SAVE_SPACING", 0.0)  # spacing would save every chunk
    saver = loop.ChunkCheckpoints(tmp_path / "ck", {}, "train")
    history = {"steps": [1.0]}
    saver.after_chunk("state-1", history)
    assert saved == [] and saver._thread.is_alive()  # the caller did not wait for the write
    history["steps"].append(2.0)
    saver.after_chunk("state-2", history)  # ends while chunk 1 is being written: skipped
    release.set()
    saver.wait()
    assert saved == [("state-1", {"steps": [1.0]})]
    release.clear()
    threading.Timer(0.2, release.set).start()
    saver.after_chunk("state-3", history)
    saver.after_chunk("state-3", history, force=True)  # the same chunk: waits for its save, no second write
    assert saved[1:] == [("state-3", {"steps": [1.0, 2.0]})] and saver._thread is None
    release.clear()
    threading.Timer(0.2, release.set).start()
    saver.after_chunk("state-4", history)
    saver.after_chunk("state-5", history)  # skipped while chunk 4 is written ...
    saver.after_chunk("state-5", history, force=True)  # ... then forced: waits for chunk 4, writes chunk 5
    assert [s[0] for s in saved] == ["state-1", "state-3", "state-4", "state-5"] and saver._thread is None

    def failing_save(path, tree, config, *, kind, extra=None):
        raise OSError("disk full")

    monkeypatch.setattr(C, "save", failing_save)
    saver.after_chunk("state-6", history)
    with pytest.raises(OSError, match="disk full"):
        saver.wait()
    saver.after_chunk("state-7", history)  # fails too, while the loop around it raises its own error
    with pytest.raises(KeyError, match="the loop's"):
        with saver:
            raise KeyError("the loop's error")
    assert saver._thread is None  # waited for, its error dropped for the loop's


def test_stop_cost_counts_the_save_in_flight(monkeypatch, tmp_path):
    """What the time limit budgets for a stop: the save in flight (the first one, untimed, is waited for and
    timed), then one save; a new checkpointer estimates a save from the process's last save rate."""
    import time as time_

    from tsallis_theory.studies import _lm_loop as loop

    def slow_save(path, tree, config, *, kind, extra=None):
        time_.sleep(0.2)

    monkeypatch.setattr(C, "save", slow_save)
    monkeypatch.setattr(loop.ChunkCheckpoints, "bytes_per_s", None)
    state = np.zeros(1000)  # 8000 bytes
    first = loop.ChunkCheckpoints(tmp_path / "a", {}, "train")
    first.after_chunk(state, {})
    cost = first.stop_cost(state)  # nothing timed yet: waits for the save in flight, then one save
    assert first._thread is None and 0.2 <= cost == first.save_s < 0.4
    assert loop.ChunkCheckpoints.bytes_per_s == pytest.approx(8000 / first.save_s)
    second = loop.ChunkCheckpoints(tmp_path / "b", {}, "train")
    second.after_chunk(np.zeros(2000), {})  # in flight, twice the bytes
    assert second.stop_cost(np.zeros(2000)) == pytest.approx(2 * 2 * first.save_s)  # in flight + one save
    second.wait()
    assert second.stop_cost(np.zeros(2000)) == second.save_s  # its own save timed, none in flight
    assert loop.ChunkCheckpoints(None, {}, "train").stop_cost(state) == 0.0  # no checkpoint: nothing to save


def test_a_loop_returns_after_its_last_save_is_written(trainer, policies, tmp_path, monkeypatch):
    """``train`` and ``train_batch`` wait for the save in flight before they return (the study then removes
    the checkpoint, which a late write would bring back)."""
    import threading
    import time as time_

    written, save = [], C.save

    def slow_save(path, tree, config, *, kind, extra=None):
        time_.sleep(0.3)
        save(path, tree, config, kind=kind, extra=extra)
        written.append(threading.current_thread().name)

    monkeypatch.setattr(C, "save", slow_save)
    runs = [dataclasses.replace(c, steps=4) for c in RUNS[:2]]  # shapes the other tests compile
    train(TASK, runs[1], policies[1], trainer=trainer, checkpoint=tmp_path / "run", progress=False)
    assert written == ["checkpoint"]  # the first chunk, in the background; finished before train returned
    train_batch(TASK, runs, policies[:2], policy_descs=[{}] * 2, trainer=trainer, checkpoint=tmp_path / "batch",
                progress=False)
    assert written == ["checkpoint"] * 2


def _record_saves(monkeypatch, step_of):
    """Record the step of every checkpoint written (``step_of(tree)``); returns the list."""
    saved, save = [], C.save

    def recording_save(path, tree, config, *, kind, extra=None):
        saved.append(step_of(tree))
        return save(path, tree, config, kind=kind, extra=extra)

    monkeypatch.setattr(C, "save", recording_save)
    return saved


def _deadline_allowing(monkeypatch, chunks: int):
    """Make every Deadline allow ``chunks`` more chunks, then none; returns the seconds each check asked for."""
    asked = []

    def allows(self, seconds):
        asked.append(seconds)
        return len(asked) <= chunks

    monkeypatch.setattr(Deadline, "allows", allows)
    return asked


def _counting(trainer, name):
    """``trainer`` with its chunk function ``name`` counted: (new trainer, list with one entry per call)."""
    calls, chunk = [], getattr(trainer, name)
    return trainer._replace(**{name: lambda state: calls.append(1) or chunk(state)}), calls


def test_time_limit_stops_between_chunks_saved(trainer, policies, tmp_path, monkeypatch):
    """A deadline that the next chunk would pass stops the batch between chunks, after saving that chunk even
    when the checkpoint spacing would skip it; the rerun trains only the chunk after it, and equals an
    uninterrupted batch."""
    from tsallis_theory.studies import _lm_loop as loop

    tr, runs = trainer, [dataclasses.replace(c, steps=6) for c in RUNS[:2]]
    kw = dict(policy_descs=[{}] * 2, progress=False)
    full = train_batch(TASK, runs, policies[:2], trainer=tr, **kw)
    saved = _record_saves(monkeypatch, lambda tree: int(tree.step[0]))
    monkeypatch.setattr(loop, "SAVE_SPACING", 1e9)  # spacing alone would save only the first chunk
    asked = _deadline_allowing(monkeypatch, 1)  # one more chunk after the first, then none
    ck = tmp_path / "batch"
    with pytest.raises(TimeLimitReached, match=r"stopped at step 4 of 6 \(b\), saved; rerun to resume"):
        train_batch(TASK, runs, policies[:2], trainer=tr, checkpoint=ck, desc="b", deadline=Deadline(60), **kw)
    assert saved == [2, 4] and len(asked) == 2 and all(s > 0 for s in asked)
    monkeypatch.undo()
    counted, chunks = _counting(tr, "train_chunk_batch")
    resumed = train_batch(TASK, runs, policies[:2], trainer=counted, checkpoint=ck, deadline=Deadline(3600), **kw)
    assert len(chunks) == 1  # resumed from step 4, not restarted
    assert resumed == full and [e["step"] for e in resumed[0]["evals"]] == [0, 2, 4, 6]


def test_time_limit_stops_a_single_run_saved(trainer, policies, tmp_path, monkeypatch):
    """The same for one run trained alone (the cpu preset's way); a chunk already saved is not saved twice, and
    no stop follows the last chunk."""
    from tsallis_theory.studies import _lm_loop as loop

    tr, cfg = trainer, dataclasses.replace(RUNS[1], steps=6)
    _, full = train(TASK, cfg, policies[1], trainer=tr, progress=False)
    saved = _record_saves(monkeypatch, lambda tree: int(tree.step))
    monkeypatch.setattr(loop, "SAVE_SPACING", 0.0)  # every chunk is saved anyway
    _deadline_allowing(monkeypatch, 1)
    with pytest.raises(TimeLimitReached, match="stopped at step 4 of 6"):
        train(TASK, cfg, policies[1], trainer=tr, checkpoint=tmp_path / "run", progress=False, deadline=Deadline(60))
    assert saved == [2, 4]  # step 4 once: the stop does not save a chunk twice
    _deadline_allowing(monkeypatch, 0)  # no chunk would fit: the last chunk ends the run, with no stop after it
    counted, chunks = _counting(tr, "train_chunk")
    _, resumed = train(TASK, cfg, policies[1], trainer=counted, checkpoint=tmp_path / "run", progress=False,
                       deadline=Deadline(60))
    assert len(chunks) == 1 and saved == [2, 4, 6]
    assert resumed == full and [e["step"] for e in resumed["evals"]] == [0, 2, 4, 6]


def test_deadline(monkeypatch, trainer, policies):
    """Deadline.allows against a fake clock; bad limits and a limit without a checkpoint are one-line errors."""
    from tsallis_theory import results

    clock = [100.0]
    monkeypatch.setattr(results.time, "monotonic", lambda: clock[0])
    d = Deadline(10)
    assert d.allows(10) and not d.allows(10.5)
    clock[0] = 105.0
    assert d.allows(5) and not d.allows(5.5) and Deadline(None).allows(1e9)
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match=r"time_limit must be > 0 seconds"):
            Deadline(bad)
    with pytest.raises(ValueError, match="a time limit needs a checkpoint"):
        train(TASK, RUNS[0], policies[0], trainer=trainer, progress=False, deadline=Deadline(60))


def test_a_failed_compilation_ahead_is_a_warning(policies, monkeypatch):
    """Trainers.compile_ahead: a program that fails to compile ahead (here a planted error) is a warning, and
    ``get`` hands over the trainer, whose programs then compile at their first call."""
    from tsallis_theory.studies import _lm_loop as loop

    made = loop.make_trainer

    def make_failing(*args, **kw):
        def fail(states, seeds):
            raise MemoryError("no room beside the batch in progress")

        return made(*args, **kw)._replace(compile_batch=fail)

    monkeypatch.setattr(loop, "make_trainer", make_failing)
    trainers = loop.Trainers(TASK)
    trainers.compile_ahead([(RUNS[:2], policies[:2], 2)])
    with pytest.warns(RuntimeWarning, match="compiling a batch program ahead failed .MemoryError: no room"):
        tr = trainers.get(RUNS[0], policies[0])
    trainers.close()
    assert trainers.get(RUNS[1], policies[1]) is tr  # the compile key's trainer, made once, for its first call
