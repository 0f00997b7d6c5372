"""Shared Hypothesis strategies.

XLA on CPU flushes subnormals to zero, so float strategies exclude them (docs/spec.md §10).
"""

from hypothesis import strategies as st

# q on the paper's range and a little beyond, where log_q is still defined.
q_unit = st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False)
q_wide = st.floats(-1.0, 3.0, allow_nan=False, allow_subnormal=False)
# Probabilities bounded away from subnormals.
prob = st.floats(1e-300, 1.0, allow_nan=False, allow_subnormal=False, exclude_min=False)
prob_moderate = st.floats(1e-12, 1.0, allow_nan=False, allow_subnormal=False)
positive = st.floats(1e-30, 1e30, allow_nan=False, allow_subnormal=False)
