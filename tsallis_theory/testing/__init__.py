"""A testing kit for estimators: Hypothesis strategies and property checks to call in your own pytest.

    from hypothesis import given
    from tsallis_theory import testing as K

    @given(K.hard_pools(5))
    def test_my_method_never_nans(r):
        K.check_finite(my_method, r)

    def test_my_method_is_unbiased_for_pass_at_2():
        K.check_unbiased(my_method, lambda p: 2 * (1 - p), g=5)

``strategies``: q, group sizes M/G, success probabilities P, and pools (soft log w, 0/1 rewards, soft rewards,
all-failed, underflowing). ``properties``: exact unbiasedness for a stated amplification f'(P) by
enumeration of every 0/1 pool, equal expectations (a baseline leaves the expectation unchanged), the
endpoint reductions at q = 0 and q = 1, the finite-group ceiling, finite coefficients on extreme pools. A
method is anything ``estimators.get_method`` takes (a Method, a declared name, "package.module:attr" or a
coefficient function). Needs Hypothesis (the ``test`` extra).
"""

try:
    import hypothesis  # noqa: F401
except ImportError:  # pragma: no cover - exercised in a subprocess by tests/test_testing_kit.py
    raise ImportError("tsallis_theory.testing needs Hypothesis: pip install tsallis-theory[test]") from None

from tsallis_theory.testing.properties import (
    check_ceiling,
    check_endpoints,
    check_finite,
    check_same_expectation,
    check_unbiased,
    enumerated_amplification,
)
from tsallis_theory.testing.strategies import (
    all_failed_pools,
    group_sizes,
    hard_pools,
    log_pools,
    positive,
    prob,
    prob_moderate,
    q_unit,
    q_wide,
    soft_rewards,
    success_probs,
    underflowing_pools,
)

__all__ = [
    "all_failed_pools",
    "check_ceiling",
    "check_endpoints",
    "check_finite",
    "check_same_expectation",
    "check_unbiased",
    "enumerated_amplification",
    "group_sizes",
    "hard_pools",
    "log_pools",
    "positive",
    "prob",
    "prob_moderate",
    "q_unit",
    "q_wide",
    "soft_rewards",
    "success_probs",
    "underflowing_pools",
]
