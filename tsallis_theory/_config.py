"""Process-wide numerical settings of the lab."""

import jax


def enable_x64() -> None:
    """Turn on float64 in JAX. The lab's accuracy statements (1e-14 relative for the q-calculus, 1e-9 for
    escape times) are float64 statements; the CLI and the test suite call this at start-up."""
    jax.config.update("jax_enable_x64", True)
