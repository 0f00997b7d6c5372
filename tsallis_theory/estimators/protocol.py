"""The method protocol: a per-rollout estimator declared once, then evaluated by every part of the lab.

A *method* maps one example's pool (log w_m, or 0/1 and soft rewards r_m) and its hyper-parameters to per-rollout
coefficients (``GradientCoefficients``, or one array used as both score and path; see ``_pool``):

    from tsallis_theory.estimators import Method, declare, garl_plugin
    import jax.numpy as jnp

    def clipped_garl(log_w, q):                        # GARL plug-in with each weight capped at 1/M
        c = garl_plugin(log_w, q)
        return jnp.maximum(c.score, -1.0 / log_w.shape[-1])

    CLIPPED = declare(Method("clipped_garl", clipped_garl, needs=("q",), soft_ok=True, defaults={"q": 0.5}))

Once declared (or given as ``"package.module:attr"``, ``load_method``), the method has its exact finite-G
expected amplification (``atlas.expected_amplification``), its curve and escape slopes in the atlas study
(``tsallis-lab atlas --method package.module:attr``), its exact bias against J_Q (``atlas.bias_against_jq``)
and, when it states one, its population amplification f'(P) (claim ATLAS). The lab's own methods are declared
the same way in ``estimators.methods``.

Fields of ``Method``:
  name: unique name (the ``method`` of every result row).
  coefficients: ``f(pool, **params) -> GradientCoefficients | array``, pool of shape (..., M).
  inputs: ``"log_w"`` (log answer likelihoods in [−inf, 0]; 0/1 rewards arrive as log r) or ``"rewards"``.
  needs: hyper-parameters that must be given (``"q"`` in [0, 1]; ``"k"``, ``"T"``, ``"n"`` integers in [1, G]).
  options: hyper-parameters passed on when given (GRPO's ``eps``, ``std``).
  population_amplification: ``f'(P, **params)``, the infinite-group amplification, or None.
  objective: ``f(P, **params)`` whose derivative is the population amplification, or None.
  success_gap: ``gap(G, **params) -> (G,)`` a(1, K+1) − a(0, K) exactly, when the coefficients lose it to rounding.
  soft_ok: the coefficients take soft log w (a teacher-forced likelihood), so a soft verifier applies.
  hard_ok: the coefficients take 0/1 rewards (a finite-group amplification exists).
  defaults: parameter values the atlas study uses when it draws the method.
  label: the legend text (default: ``name``).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Callable

import numpy as np

from tsallis_theory import _validate as V
from tsallis_theory.estimators._pool import GradientCoefficients

INPUTS = ("log_w", "rewards")
_INTEGER_PARAMS = ("k", "T", "n")


@dataclasses.dataclass(frozen=True, eq=False)
class Method:
    """A per-rollout estimator and what the lab may know about it (fields: the module docstring)."""

    name: str
    coefficients: Callable | None
    inputs: str = "log_w"
    needs: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    population_amplification: Callable | None = None
    objective: Callable | None = None
    success_gap: Callable | None = None
    soft_ok: bool = False
    hard_ok: bool = True
    defaults: dict = dataclasses.field(default_factory=dict)
    label: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Method name must be a non-empty string; got {self.name!r}")
        if self.inputs not in INPUTS:
            raise ValueError(f"method {self.name!r}: inputs must be one of {INPUTS}; got {self.inputs!r}")
        if self.coefficients is None and (self.hard_ok or self.soft_ok):
            object.__setattr__(self, "hard_ok", False)
            object.__setattr__(self, "soft_ok", False)
        if self.soft_ok and self.inputs != "log_w":
            raise ValueError(f"method {self.name!r}: soft_ok needs inputs='log_w'")
        object.__setattr__(self, "needs", tuple(self.needs))
        object.__setattr__(self, "options", tuple(self.options))
        object.__setattr__(self, "defaults", dict(self.defaults))

    def __repr__(self):
        return f"Method({self.name!r})"

    def params(self, given: dict, *, include_options: bool = True) -> dict:
        """The hyper-parameters of ``given`` this method takes (its needs, then its options when given)."""
        names = self.needs + (self.options if include_options else ())
        return {k: given[k] for k in names if given.get(k) is not None}

    def check_params(self, given: dict, g: int | None = None) -> None:
        """Each needed parameter is given and in range (q in [0, 1]; k, T, n integers in [1, G])."""
        for need in self.needs:
            value = given.get(need)
            if value is None:
                allowed = "in [0, 1]" if need == "q" else "an integer in [1, G]"
                raise ValueError(f"method {self.name!r} needs {need} ({allowed}); none was given")
            if need == "q":
                V.check_range("q", value, *V.Q_RANGE)
            elif need in _INTEGER_PARAMS:
                top = g if g is not None else 10**9
                if isinstance(value, bool) or int(value) != value or not 1 <= value <= top:
                    raise ValueError(f"{need} must be an integer in [1, {top}]; got {value!r}")

    def __call__(self, pool, **params):
        """The coefficients as ``GradientCoefficients`` (a single array is used as both score and path)."""
        return as_coefficients(self.coefficients(pool, **params))


def as_coefficients(out) -> GradientCoefficients:
    """A method's output as ``GradientCoefficients``: a bare array is the score and the path."""
    if isinstance(out, GradientCoefficients):
        return out
    if isinstance(out, tuple) and len(out) == 2 and not hasattr(out, "shape"):
        return GradientCoefficients(*out)
    return GradientCoefficients(out, out)


_REGISTRY: dict[str, Method] = {}


_LAB_NAMES: set[str] = set()  # the lab's own methods (``methods``): a user's method may not replace them


def declare(method: Method) -> Method:
    """Register ``method`` under its name and return it. Declaring a name again replaces the earlier method,
    except the lab's own names (``declared()``), which a one-line ValueError protects."""
    if not isinstance(method, Method):
        raise TypeError(f"declare takes a Method; got {type(method).__name__}")
    if method.name in _LAB_NAMES and _REGISTRY.get(method.name) is not method:
        raise ValueError(f"method name {method.name!r} is one of the lab's own methods; choose another name")
    _REGISTRY[method.name] = method
    return method


def is_lab_method(method: Method) -> bool:
    """Whether ``method`` is one of the lab's own declarations (``estimators.methods``)."""
    return method.name in _LAB_NAMES and _REGISTRY.get(method.name) is method


def declared() -> dict[str, Method]:
    """name -> Method of every declared method (the lab's own first, in declaration order)."""
    _lab_methods()
    return dict(_REGISTRY)


def _lab_methods():
    from tsallis_theory.estimators import methods  # noqa: F401  (declares the lab's own methods)


_WRAPPED: dict = {}


def from_function(fn: Callable, *, inputs: str = "log_w") -> Method:
    """A Method for a bare coefficient function ``fn(pool, ...)``, named after it: the parameters after the
    pool without a default are its ``needs``, those with one its ``options`` (one Method per function)."""
    if fn not in _WRAPPED:
        sig = list(inspect.signature(fn).parameters.values())[1:]
        needs = tuple(x.name for x in sig if x.default is inspect.Parameter.empty and x.kind is not x.VAR_KEYWORD)
        options = tuple(x.name for x in sig if x.default is not inspect.Parameter.empty)
        _WRAPPED[fn] = Method(getattr(fn, "__name__", "method"), fn, inputs=inputs, needs=needs, options=options)
    return _WRAPPED[fn]


def load_method(spec: str) -> Method:
    """``"package.module:attr"``: the Method (or a coefficient function, declared through ``from_function``)
    at that import path, declared. A one-line ValueError names a spec that does not resolve."""
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise ValueError(f"method must be 'package.module:function'; got {spec!r}")
    mod_name, attr = spec.split(":")
    try:
        obj = getattr(importlib.import_module(mod_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"method {spec!r} cannot be loaded: {exc}") from None
    if isinstance(obj, Method):
        return declare(obj)
    if callable(obj):
        return declare(from_function(obj))
    raise ValueError(f"method {spec!r} is neither a Method nor a function")


def get_method(method) -> Method:
    """A Method from itself, a declared name, a ``"package.module:attr"`` spec or a coefficient function."""
    if isinstance(method, Method):
        return method
    if isinstance(method, str):
        _lab_methods()
        if method in _REGISTRY:
            return _REGISTRY[method]
        if ":" in method:
            return load_method(method)
        raise ValueError(f"method must be one of {', '.join(_REGISTRY)} or 'package.module:function'; "
                         f"got {method!r}")
    if callable(method):
        return from_function(method)
    raise ValueError(f"method must be a Method, a declared name or a function; got {type(method).__name__}")


def jitted(method: Method, params: dict) -> Callable:
    """``method`` on a batch of 0/1 pools (B, M) (as log r for a ``log_w`` method) under one jit, the parameters
    closed over (static): one compile per pool shape instead of one per operation."""
    import jax
    import jax.numpy as jnp

    def run(pools):
        x = jnp.log(pools) if method.inputs == "log_w" else pools
        return method(x, **params)

    return jax.jit(run)


def check_method_output(method: Method, pools: np.ndarray, params: dict) -> None:
    """Run ``method`` on a batch of pools (B, M) and raise a one-line ValueError naming the method and the
    failing property: coefficients of the pools' shape, finite, and each pool's coefficients its own (the
    same when the other pools of the batch change)."""
    def run(batch):
        try:
            c = jitted(method, params)(batch)
        except Exception as exc:  # noqa: BLE001  (a user's function: name it in one line)
            raise ValueError(f"method {method.name!r} fails on a pool of shape {batch.shape}: "
                             f"{type(exc).__name__}: {exc}") from None
        return np.asarray(c.score), np.asarray(c.path)

    pools = np.asarray(pools, float)
    score, path = run(pools)
    for what, arr in (("score", score), ("path", path)):
        if arr.shape != pools.shape:
            raise ValueError(f"method {method.name!r}: {what} coefficients must have the pool's shape "
                             f"{pools.shape}; got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"method {method.name!r}: {what} coefficients must be finite; got NaN or inf")
    other = np.concatenate([pools, np.ones_like(pools), pools[::-1]])  # the same pools among other pools
    s2, p2 = run(other)
    if not (np.allclose(s2[: len(pools)], score, rtol=1e-9, atol=1e-12)
            and np.allclose(p2[: len(pools)], path, rtol=1e-9, atol=1e-12)):
        raise ValueError(f"method {method.name!r}: coefficients must depend only on their own pool; they change "
                         f"when other pools of the batch change")
