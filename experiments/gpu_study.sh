#!/usr/bin/env bash
# The gpu preset of the small-LM study on a GPU machine, from a plain checkout (no install needed when jax,
# equinox, optax, matplotlib and tqdm are there): device facts, the engine benchmark, then the study.
#
#   bash experiments/gpu_study.sh OUT_DIR [SECONDS]
#
# Writes OUT_DIR/device.txt, bench.txt, study.log (per-run summary), study.err (progress), the result
# rows OUT_DIR/lm_gpu/{bases,runs}.jsonl and the figures OUT_DIR/figures/lm_gpu_*.png. SECONDS > 0 stops
# the study after that long; rerunning with the same OUT_DIR and checkpoints (CKPT, default
# /tmp/lm_gpu_ckpt) resumes it. PRESET=smoke checks the script.
set -uo pipefail
out=${1:?usage: gpu_study.sh OUT_DIR [SECONDS]}
limit=${2:-0}
preset=${PRESET:-gpu}
cd "$(dirname "$0")/.." || exit 2
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$out"
python3 -c 'import jax, sys; print("python", sys.version.split()[0], "jax", jax.__version__, jax.devices())' \
  | tee "$out/device.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >>"$out/device.txt" 2>/dev/null
timeout 150 python3 experiments/bench_lm.py --preset "$preset" 2>&1 | tee "$out/bench.txt"
study=(python3 -m tsallis_theory.cli lm --preset "$preset" --out "$out" --figures "$out/figures"
       --ckpt "${CKPT:-/tmp/lm_${preset}_ckpt}")
if [ "$limit" -gt 0 ]; then study=(timeout "$limit" "${study[@]}"); fi
"${study[@]}" 2>"$out/study.err" | tee "$out/study.log"
rc=${PIPESTATUS[0]}
echo "study exit code $rc (124: stopped at the time limit; rerun to resume)" | tee -a "$out/study.log"
tail -n 5 "$out/study.err"
exit "$rc"
