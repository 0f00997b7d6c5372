"""Benchmark: Monte Carlo pools per second, vectorised (one jitted call over all pools) vs a plain Python loop
over the same pools, in the same run. Prints the ratio.

    python -m experiments.bench_estimators [--pools 20000] [--m 32] [--loop-pools 2000]
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from tsallis_theory import estimators as E  # noqa: E402
from tsallis_theory.cli import ScriptParser  # noqa: E402
from tsallis_theory.estimators import sweeps as S  # noqa: E402


def main() -> None:
    ap = ScriptParser(description=__doc__)
    ap.add_argument("--pools", type=int, default=20000)
    ap.add_argument("--loop-pools", type=int, default=2000, help="pools timed in the Python loop (extrapolated)")
    ap.add_argument("--m", type=int, default=32)
    ap.add_argument("--q", type=float, default=0.5)
    args = ap.parse_args()
    if args.pools < 1 or args.loop_pools < 1:
        ap.error(f"--pools and --loop-pools must be >= 1; got {args.pools} and {args.loop_pools}")
    if args.m < 2:
        ap.error(f"--m must be >= 2 (leave-one-out needs two rollouts); got {args.m}")
    if not 0 <= args.q <= 1:  # also rejects NaN
        ap.error(f"--q must be in [0, 1]; got {args.q}")
    model = S.SOFT_MODEL
    pools = E.testbed.sample_pools(jax.random.PRNGKey(0), model, args.m, args.pools)
    lw = model.log_w[pools]
    vec = jax.jit(lambda x: E.garl_rloo(x, args.q))
    jax.block_until_ready(vec(jnp.asarray(lw)))  # compile outside the timing
    t = time.perf_counter()
    out = vec(jnp.asarray(lw))
    jax.block_until_ready(out)
    est = model.estimate(out, pools)
    t_vec = time.perf_counter() - t

    # the plain loop: one pool at a time, NumPy formulas of eq 12 (the same estimator, no JAX dispatch)
    def one_pool(lw_m):
        w = np.exp(lw_m)
        wbar = w.mean()
        loo = (w.sum() - w) / (len(w) - 1)
        c = w / wbar**args.q - loo ** (1 - args.q)
        return -c / len(w), -w / (len(w) * wbar**args.q)

    n = min(args.loop_pools, args.pools)
    t = time.perf_counter()
    loop = []
    for i in range(n):
        s, p = one_pool(lw[i])
        loop.append(s @ model.score_vectors()[pools[i]] + p @ model.path_vectors()[pools[i]])
    t_loop = (time.perf_counter() - t) / n * args.pools
    np.testing.assert_allclose(np.array(loop), est[:n], rtol=1e-10, atol=1e-14)
    print(f"GARL RLOO, M = {args.m}, q = {args.q}: {args.pools} pools")
    print(f"  vectorised (jit, one call): {args.pools / t_vec:12.0f} pools/s")
    print(f"  Python loop (NumPy per pool, {n} timed): {args.pools / t_loop:12.0f} pools/s")
    print(f"  ratio vectorised / loop: {t_loop / t_vec:.1f}x")


if __name__ == "__main__":
    main()
