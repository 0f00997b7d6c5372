"""Ledger checks, one module per study: ``verify_<claim>(ctx) -> Verdict``. Checks may use the math layer
and the studies, never the plots or the CLI."""
