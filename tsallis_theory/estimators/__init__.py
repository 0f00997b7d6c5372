"""Gradient estimators of J_Q as per-rollout coefficients (GARL, PAFT; baselines to come).

Each estimator maps a pool's log answer likelihoods log w_m to coefficients (score, path) such that the
loss-gradient estimate is Σ_m score_m ∇log p(z_m|x) + path_m ∇log p(y*|x, z_m). See ``_pool``.
"""

from tsallis_theory.estimators._pool import GradientCoefficients
from tsallis_theory.estimators.garl import garl_plugin, garl_rloo, leave_one_out_log_mean
from tsallis_theory.estimators.paft import paft, paft_from_indices, paft_resample

__all__ = [
    "GradientCoefficients",
    "garl_plugin",
    "garl_rloo",
    "leave_one_out_log_mean",
    "paft",
    "paft_from_indices",
    "paft_resample",
]
