"""Test configuration: JAX on CPU in float64, a seeded PRNG key, Hypothesis profiles, --runslow."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")
# The test programs are tiny and compiled once each, so XLA's optimisation passes cost more than they save
# (about half the suite's time). Results agree up to rounding; every test states its tolerance. Set here
# (not through jax.config) so that the subprocess tests inherit it; JAX_DISABLE_MOST_OPTIMIZATIONS=0 undoes it.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")

import jax  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from tsallis_theory._config import enable_x64  # noqa: E402

enable_x64()

# deadline=None: the first example of a property pays for jit compilation (docs/spec.md §10).
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture
def key():
    """A fixed PRNG key, so that Monte Carlo tests are reproducible."""
    return jax.random.PRNGKey(20260428)
