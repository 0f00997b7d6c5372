#!/usr/bin/env bash
# The gpu preset of the small-LM study on a GPU machine, from a plain checkout (no install needed when jax,
# equinox, optax, matplotlib and tqdm are there): device facts, the engine benchmark, then the study.
#
#   bash experiments/gpu_study.sh OUT_DIR [SECONDS]
#
# Writes six files: OUT_DIR/device.txt, bench.txt, study.log (per-run summary, per-batch timings), study.err
# (progress) and the result rows OUT_DIR/lm_<preset>/{bases,runs}.jsonl. Figures are
# drawn from the rows afterwards (tsallis-lab lm --preset gpu --figures-only --out DIR).
#
# SECONDS > 0 is the time the whole script may take: the study stops between chunks, its batch saved, at
# least 35 s before it (tsallis-lab lm --time-limit; exit code 124), and a rerun on the same machine resumes it:
# the rows are kept in KEEP (default /tmp/lm_<preset>_rows, copied back into an emptied OUT_DIR), the
# checkpoints in CKPT (default /tmp/lm_<preset>_ckpt) and the compiled programs in JAX_COMPILATION_CACHE_DIR
# (default /tmp/jax_cache; the benchmark's batch of 60 runs is the program of the study's LM-COLD batches).
# BENCH=0 skips the benchmark; BENCH_ARGS replaces its arguments; STUDY_ARGS adds arguments to the study (e.g.
# "--methods garl-1 --max-steps 2"); PRESET=smoke checks the script on any machine (tests/test_gpu_study_script.py).
#
# CONTINUE=DIR continues the rows of DIR/lm_<preset> (e.g. experiments/results) on a new machine: they are
# copied into an OUT_DIR that has none, and the bases are rebuilt (--rebuild-bases), each required to
# reproduce its recorded step and p0 exactly. On a GPU that holds only for bases built with deterministic
# reductions and the same compiler choices from the start, hence the default XLA_FLAGS (STUDY_XLA_FLAGS):
# deterministic reductions (under which XLA also leaves its matmul fusions untuned), and no autotuning between
# XLA's native and Triton emitters for non-matmul fusions: both choices are timed, so they can differ between
# machines. On an H200 they lengthened the 60-run program's step by 25% and left its compilation as it was
# (docs/lm.md). Set XLA_FLAGS yourself to replace them; rows made under other flags should be
# continued under the same ones. The flags are tried first: one this jaxlib does not know stops the script.
set -uo pipefail
STUDY_XLA_FLAGS="--xla_gpu_deterministic_ops=true --xla_gpu_experimental_enable_fusion_autotuner=false"
export XLA_FLAGS=${XLA_FLAGS-$STUDY_XLA_FLAGS}
out=${1:?usage: gpu_study.sh OUT_DIR [SECONDS]}
limit=${2:-0}
preset=${PRESET:-gpu}
keep=${KEEP:-/tmp/lm_${preset}_rows}
cd "$(dirname "$0")/.." || exit 2
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-/tmp/jax_cache}
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0 XLA_PYTHON_CLIENT_MEM_FRACTION=${XLA_PYTHON_CLIENT_MEM_FRACTION:-0.9}
mkdir -p "$out" "$keep"
if [ -d "$keep/lm_$preset" ] && [ ! -e "$out/lm_$preset" ]; then cp -r "$keep/lm_$preset" "$out/"; fi
rebuild=()
if [ -n "${CONTINUE:-}" ]; then
  if [ ! -e "$out/lm_$preset" ]; then
    mkdir -p "$out/lm_$preset" && cp "$CONTINUE/lm_$preset/"*.jsonl "$out/lm_$preset/" || exit 2
  fi
  rebuild=(--rebuild-bases)
fi
if ! python3 -c 'import jax; jax.numpy.zeros(1).block_until_ready()' 2>"$out/xla_flags.err"; then
  echo "jax did not start under XLA_FLAGS='$XLA_FLAGS': $(grep -a -m1 -iE 'flag|error' "$out/xla_flags.err")"
  exit 2
fi
rm -f "$out/xla_flags.err"
python3 -c 'import jax, sys; print("python", sys.version.split()[0], "jax", jax.__version__, jax.devices())' \
  | tee -a "$out/device.txt"
echo "XLA_FLAGS=$XLA_FLAGS" | tee -a "$out/device.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader \
  >>"$out/device.txt" 2>/dev/null
if [ "${BENCH:-1}" != 0 ]; then
  read -r -a bench_args <<<"${BENCH_ARGS:---runs 60 --steps 20 --sequential-runs 6 --repeat 1 --profile}"
  timeout 240 python3 experiments/bench_lm.py --preset "$preset" "${bench_args[@]}" 2>&1 | tee -a "$out/bench.txt"
fi
read -r -a study_args <<<"${STUDY_ARGS:-}"
study=(python3 -m tsallis_theory.cli lm --preset "$preset" --out "$out" --figures ''
       --ckpt "${CKPT:-/tmp/lm_${preset}_ckpt}" "${rebuild[@]}" "${study_args[@]}")
if [ "$limit" -gt 0 ]; then
  left=$((limit - SECONDS - 20))
  if [ "$left" -lt 10 ]; then echo "no time left for the study ($left s)"; exit 124; fi
  # the study stops itself between chunks, saved (--time-limit); timeout is the backstop for a batch that
  # starts (and compiles) too close to the limit
  study=(timeout "$left" "${study[@]}" --time-limit "$((left > 30 ? left - 15 : left))")
fi
started=$SECONDS
"${study[@]}" 2>>"$out/study.err" | tee -a "$out/study.log"
rc=${PIPESTATUS[0]}
echo "study exit code $rc after $((SECONDS - started)) s (124: stopped at the time limit; rerun to resume)" \
  | tee -a "$out/study.log"
cp -r "$out/lm_$preset" "$keep/" 2>/dev/null
grep -a -h -E "runs \(padded\)|compiled ahead" "$out/study.log" "$out/study.err" | tail -n 20
exit "$rc"
