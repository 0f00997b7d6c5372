"""experiments/trace_summary.py: the benchmark's account of where a traced program's device time went,
against hand-computed answers on synthetic traces and a real trace of a jitted function."""

from __future__ import annotations

import gzip
import json

import jax
import jax.numpy as jnp
import pytest

from experiments import trace_summary as ts


def test_union_length_counts_overlaps_once():
    # [0, 10) ∪ [5, 12) ∪ [20, 21) ∪ [20, 20.5) = 12 + 1
    assert ts.union_length([(5, 7), (0, 10), (20, 1), (20, 0.5)]) == pytest.approx(13.0)
    assert ts.union_length([]) == 0.0


def test_self_times_subtract_direct_children_per_lane():
    events = [("executor", 0, 100, "a"), ("loop", 10, 50, "a"), ("fusion", 20, 10, "a"), ("dot", 40, 15, "a"),
              ("other_lane", 10, 30, "b")]
    own = {name: st for name, _, _, st in ts.self_times(events)}
    # loop holds fusion (10) and dot (15): 50 - 25; executor holds only loop (its direct child): 100 - 50
    assert own == {"executor": 50.0, "loop": 25.0, "fusion": 10.0, "dot": 15.0, "other_lane": 30.0}


def test_summarise_kinds_busy_and_ranking():
    events = [("sm90_xmma_gemm_bf16", 0, 6, 6), ("loop_add_fusion.3", 6, 2, 2), ("loop_add_fusion.4", 8, 1, 1),
              ("MemcpyD2D", 20, 1, 1)]
    s = ts.summarise(events, wall_us=40)
    assert s["busy_s"] == pytest.approx(10e-6) and s["wall_s"] == pytest.approx(40e-6)
    assert s["kinds"] == pytest.approx({"matmul": 6e-6, "other": 3e-6, "copy": 1e-6})
    assert s["top"][0][0] == "sm90_xmma_gemm_bf16"
    assert ("loop_add_fusion", 2, pytest.approx(3e-6)) in s["families"]
    text = ts.report({**s, "lanes": "device"})
    assert "busy 0.000 s = 25% of the wall time" in text and "matmul 0.000 s (60%)" in text
    with pytest.raises(ValueError, match="wall_us"):
        ts.summarise(events, wall_us=0)


def test_read_trace_prefers_device_lanes_and_drops_waits(tmp_path):
    meta = [{"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "/host:CPU"}},
            {"ph": "M", "name": "process_name", "pid": 2, "args": {"name": "/device:GPU:0"}},
            {"ph": "M", "name": "thread_name", "pid": 1, "tid": 7, "args": {"name": "tf_XLAEigen/1"}},
            {"ph": "M", "name": "thread_name", "pid": 2, "tid": 1, "args": {"name": "Stream #13(Compute)"}},
            {"ph": "M", "name": "thread_name", "pid": 2, "tid": 2, "args": {"name": "XLA Ops"}}]
    host = [{"ph": "X", "pid": 1, "tid": 7, "name": "ynn_fusion.1", "ts": 0, "dur": 10},
            {"ph": "X", "pid": 1, "tid": 7, "name": "SlinkyThreadPool::Await", "ts": 2, "dur": 6}]
    device = [{"ph": "X", "pid": 2, "tid": 1, "name": "gemm_fusion_dot.2", "ts": 0, "dur": 4},
              {"ph": "X", "pid": 2, "tid": 1, "name": "cuStreamWait", "ts": 4, "dur": 9},
              {"ph": "X", "pid": 2, "tid": 2, "name": "dot.2", "ts": 0, "dur": 4}]  # a derived lane: not counted
    path = tmp_path / "t.json.gz"
    with gzip.open(path, "wt") as f:
        json.dump({"traceEvents": meta + host + device}, f)
    events, lanes = ts.read_trace(path)
    assert lanes == "device streams" and [e[0] for e in events] == ["gemm_fusion_dot.2"]
    with gzip.open(path, "wt") as f:
        json.dump({"traceEvents": meta[:1] + meta[2:3] + host}, f)
    events, lanes = ts.read_trace(path)
    # the thunk waited 6 of its 10 µs for other threads: 4 µs of its own work
    assert lanes == "host XLA threads" and events == [("ynn_fusion.1", 0.0, 10.0, 4.0)]


def test_profile_of_a_real_program(tmp_path):
    f = jax.jit(lambda x: jnp.tanh(x @ x).sum())
    x = jnp.ones((256, 256))
    f(x).block_until_ready()
    s = ts.profile(lambda: f(x), log_dir=tmp_path)
    assert s["events"] > 0 and 0 < s["busy_s"] <= s["wall_s"] * 1.05
    assert s["trace"].startswith(str(tmp_path)) and "of the wall time" in ts.report(s)
