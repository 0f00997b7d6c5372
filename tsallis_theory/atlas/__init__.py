"""The amplification atlas (claim ATLAS): every method's per-example gradient weight f'(P), exactly at finite
group size G, in the population limit, and on a soft verifier; escape times of the expected-estimator flows, and
the exact bias against J_Q, for the lab's methods and any method declared with ``estimators.Method``.
See ``tsallis_theory.atlas.amplification``.
"""

from tsallis_theory.atlas.amplification import (
    HARD_METHODS,
    METHODS,
    POPULATION_ONLY,
    SOFT_METHODS,
    SoftVerifierModel,
    amplified_escape_time,
    bias_against_jq,
    canonical_pools,
    count_weights,
    count_weights_many,
    escape_slope,
    escape_slopes,
    expected_amplification,
    finite_group_amplification,
    hard_scores,
    population_amplification,
    soft_amplification,
    success_gap,
)

__all__ = [
    "HARD_METHODS",
    "METHODS",
    "POPULATION_ONLY",
    "SOFT_METHODS",
    "SoftVerifierModel",
    "amplified_escape_time",
    "bias_against_jq",
    "canonical_pools",
    "count_weights",
    "count_weights_many",
    "escape_slope",
    "escape_slopes",
    "expected_amplification",
    "finite_group_amplification",
    "hard_scores",
    "population_amplification",
    "soft_amplification",
    "success_gap",
]
