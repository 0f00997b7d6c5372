"""Where a traced program's device time goes: a summary of a ``jax.profiler`` trace, for the benchmarks.

    summary = trace_summary.profile(fn, wall=True)     # trace one call of fn, then summarise it
    print(trace_summary.report(summary))

``profile`` runs ``fn()`` once under ``jax.profiler.trace(..., create_perfetto_trace=True)`` and reads the
Perfetto JSON it writes (``read_trace``). The *device lanes* are the threads of every process named
``/device:...``, only their ``Stream`` threads when there are any (one event per kernel; a profiler's
derived lanes, such as per-op or per-module lines, would count the kernels twice); a trace without them
(XLA on CPU) falls back to the
host threads XLA computes on (``tf_XLA...``), whose events are XLA's CPU thunks. From those events
(``summarise``):

- busy: the length of the union of all device events' intervals, as a share of the traced wall time. A
  low share means the device waits (kernel launches, the host, short sequential kernels): the program is
  latency-bound, not compute-bound.
- per kind, the summed self time (an event's duration less that of the events inside it): ``matmul`` (names matching ``MATMUL``: cuBLAS, CUTLASS, XLA's gemm
  fusions, dot thunks), ``copy`` (memcpy, memset) and ``other`` (every other kernel: element-wise and
  reduction fusions, sorts, scatters);
- the kernels, and the kernel families (``family``), with the most self time, with their call counts.

Summed self time can exceed busy time when lanes overlap (several streams or threads). On CPU the kinds
are rough: XLA's CPU thunks (``ynn_fusion``, ``dot``) name matmuls less plainly than GPU kernels do.
"""

from __future__ import annotations

import collections
import gzip
import json
import re
import tempfile
import time
from pathlib import Path

MATMUL = re.compile(r"gemm|xmma|cutlass|cublas|nvjet|matmul|\bdot|_dot|dot_|convolution", re.IGNORECASE)
COPY = re.compile(r"memcpy|memset|copy", re.IGNORECASE)
WAIT = re.compile(r"wait|await", re.IGNORECASE)  # a thread waiting for others' work, not doing its own


def kind_of(name: str) -> str:
    """``matmul``, ``copy`` or ``other`` for a kernel or thunk name (``MATMUL``, ``COPY``)."""
    if MATMUL.search(name):
        return "matmul"
    return "copy" if COPY.search(name) else "other"


def family(name: str) -> str:
    """A kernel's name without its trailing instance number (``loop_add_fusion.12`` -> ``loop_add_fusion``)."""
    return re.sub(r"[._]\d+$", "", name)


def read_trace(path) -> tuple[list[tuple[str, float, float, float]], str]:
    """The device lanes' complete events of a Perfetto JSON trace (``.json`` or ``.json.gz``) as (name,
    start µs, duration µs, self time µs; ``self_times``), and which lanes they are: ``"device"`` (processes
    ``/device:...``) or ``"host XLA threads"`` (no device process: threads named ``tf_XLA...``). Events
    whose name says they wait (``WAIT``) are left out."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    processes = {e["pid"]: e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "process_name"}
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
               if e.get("ph") == "M" and e.get("name") == "thread_name"}
    complete = [e for e in events if e.get("ph") == "X" and "dur" in e]
    lanes = [e for e in complete if processes.get(e["pid"], "").startswith("/device:")]
    streams = [e for e in lanes if threads.get((e["pid"], e.get("tid")), "").startswith("Stream")]
    lanes, kind = (streams, "device streams") if streams else (lanes, "device")
    if not lanes:
        lanes = [e for e in complete if threads.get((e["pid"], e.get("tid")), "").startswith("tf_XLA")]
        kind = "host XLA threads"
    timed = self_times([(e["name"], float(e["ts"]), float(e["dur"]), (e["pid"], e.get("tid"))) for e in lanes])
    return [e for e in timed if not WAIT.search(e[0])], kind  # a wait inside an event is not its work


def self_times(events) -> list[tuple[str, float, float, float]]:
    """(name, start, duration, self time) of (name, start, duration, lane) events: self time is the
    duration less that of the events directly inside it on its lane (events of one lane nest or follow each
    other, as a trace's do). On a GPU stream nothing nests and self time is the duration; on XLA's CPU
    threads the executor's and loops' events enclose the thunks they run."""
    by_lane = collections.defaultdict(list)
    for name, start, dur, lane in events:
        by_lane[lane].append([start, -dur, name, dur])
    out = []
    for lane_events in by_lane.values():
        lane_events.sort()
        stack: list[list] = []
        for ev in lane_events:
            start, neg_dur = ev[0], ev[1]
            while stack and stack[-1][0] - stack[-1][1] <= start:
                stack.pop()
            if stack:
                stack[-1][3] -= -neg_dur
            stack.append(ev)
        out += [(name, start, -neg_dur, max(own, 0.0)) for start, neg_dur, name, own in lane_events]
    return out


def union_length(intervals) -> float:
    """Total length covered by (start, duration) intervals, overlaps counted once."""
    total, end = 0.0, float("-inf")
    for start, dur in sorted(intervals):
        stop = start + dur
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def summarise(events, wall_us: float, top: int = 12) -> dict:
    """Busy share, self time per kind and the ``top`` kernels by self time of (name, start µs, duration
    µs, self time µs) events traced over ``wall_us`` microseconds (module docstring). Times in the result
    are seconds."""
    if wall_us <= 0:
        raise ValueError(f"wall_us must be > 0; got {wall_us}")
    per_kind: dict[str, float] = collections.Counter()
    per_name: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])
    per_family: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])
    for name, _, _, own in events:
        per_kind[kind_of(name)] += own
        for table, key in ((per_name, name), (per_family, family(name))):
            table[key][0] += 1
            table[key][1] += own
    busy = union_length((start, dur) for _, start, dur, _ in events)

    def most(table):
        return [(key, count, total / 1e6) for key, (count, total) in sorted(table.items(), key=lambda kv: -kv[1][1])[:top]]

    return {"wall_s": wall_us / 1e6, "busy_s": busy / 1e6, "events": len(events),
            "kinds": {k: per_kind.get(k, 0.0) / 1e6 for k in ("matmul", "other", "copy")},
            "top": most(per_name), "families": most(per_family)}


def profile(fn, top: int = 12, log_dir=None) -> dict:
    """Trace one call of ``fn()`` (which should return arrays to wait on; compile and warm it up first)
    and ``summarise`` its device lanes, with ``lanes`` (``read_trace``) and the trace's path added."""
    import jax

    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="jax_trace_"))
    with jax.profiler.trace(str(log_dir), create_perfetto_trace=True):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        wall = time.perf_counter() - t0
    path = max(log_dir.rglob("perfetto_trace.json.gz"), key=lambda p: p.stat().st_mtime)
    events, lanes = read_trace(path)
    return {**summarise(events, wall * 1e6, top), "lanes": lanes, "trace": str(path)}


def report(summary: dict, width: int = 70) -> str:
    """The summary as text: busy share, kinds, top kernels (shares of the summed self time)."""
    total = sum(summary["kinds"].values())
    lines = [f"traced {summary['wall_s']:.3f} s on the {summary['lanes']}: {summary['events']} events, busy "
             f"{summary['busy_s']:.3f} s = {summary['busy_s'] / summary['wall_s']:.0%} of the wall time"]
    if not total:
        return lines[0] + " (no events: nothing to break down)"
    lines.append("  summed self time by kind: " + ", ".join(
        f"{k} {v:.3f} s ({v / total:.0%})" for k, v in summary["kinds"].items()))
    for title, key in (("kernels", "top"), ("kernel families (instance numbers dropped)", "families")):
        lines.append(f"  {title} with the most self time (calls, seconds, share):")
        for name, count, secs in summary[key]:
            short = name if len(name) <= width else name[:width - 1] + "…"
            lines.append(f"    {short:<{width}} {count:>7} {secs:8.4f} {secs / total:6.1%}  [{kind_of(name)}]")
    return "\n".join(lines)
