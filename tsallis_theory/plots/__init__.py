"""Figures: result rows in, PNG files out; no computation beyond drawing, and no JAX."""
