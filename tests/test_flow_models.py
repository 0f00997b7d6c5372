"""Flow models: the initialiser hits p0, ln P against direct formulas, and ‖s‖² = h(P) where claimed
(autodiff against the closed forms of the symmetric models)."""

import jax.numpy as jnp
import numpy as np
import pytest

from tsallis_theory.flow import MLP, MODEL_NAMES, Chain, Sigmoid, LatentMixture, get_model
from tsallis_theory.flow.models import GUESS_FLOOR


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_init_hits_p0(name):
    model = get_model(name)
    for p0 in (0.3, 1e-3, 1e-8, 1e-12):
        theta = model.init(p0)
        assert theta.shape == (model.dim,)
        assert float(model.log_p(jnp.asarray(theta))) == pytest.approx(np.log(p0), abs=1e-10)


@pytest.mark.parametrize("name", [n for n in MODEL_NAMES if get_model(n).score_sq_from_log_p is not None])
def test_score_sq_of_p_matches_autodiff(name):
    model = get_model(name)
    for p0 in (0.45, 1e-2, 1e-6, 1e-11):
        lp, g = model.value_and_grad(model.init(p0))
        assert float(np.sum(np.asarray(g) ** 2)) == pytest.approx(float(model.score_sq_from_log_p(float(lp))),
                                                                  rel=1e-12)


def test_tabular_log_p_is_the_mixture():
    w = np.array([0.9, 0.2, 1e-3, 0.0])
    model = LatentMixture(w, init="random", seed=7)
    theta = model.init(0.05)
    prior = np.exp(theta - theta.max())
    prior /= prior.sum()
    assert float(prior @ w) == pytest.approx(0.05, rel=1e-12)


def test_learned_w_model_uses_sigmoid_likelihoods():
    model = LatentMixture(np.array([0.6, 0.1, 0.01]), init="random", seed=3, learn_w=True)
    theta = model.init(1e-4)
    phi, psi = theta[:3], theta[3:]
    prior = np.exp(phi) / np.exp(phi).sum()
    assert float(prior @ (1 / (1 + np.exp(-psi)))) == pytest.approx(1e-4, rel=1e-10)


def test_chain_probability_is_the_product():
    model = Chain(3, 5, init="random", seed=2)
    theta = model.init(1e-6).reshape(3, 5)
    per_step = np.exp(theta[:, 0]) / np.exp(theta).sum(axis=1)
    assert np.prod(per_step) == pytest.approx(1e-6, rel=1e-12)


def test_mlp_init_and_varying_score():
    model = MLP(seed=1)
    norms = []
    for p0 in (1e-2, 1e-6):
        lp, g = model.value_and_grad(model.init(p0))
        assert float(lp) == pytest.approx(np.log(p0), abs=1e-12)
        norms.append(float(np.linalg.norm(g)))
    assert norms[0] != pytest.approx(norms[1], rel=1e-3)


def test_reachable_range_errors():
    soft = get_model("tabular-soft-random")
    with pytest.raises(ValueError, match="^p0 = 0.95 cannot be reached"):
        soft.init(0.95)
    floor = get_model("tabular-floor-symmetric")
    with pytest.raises(ValueError, match="cannot be reached"):
        floor.init(GUESS_FLOOR / 2)
    with pytest.raises(ValueError, match="^p0"):
        Sigmoid().init(0.0)


def test_constructor_validation():
    with pytest.raises(ValueError, match="^w must"):
        LatentMixture(np.array([1.5, 0.0]))
    with pytest.raises(ValueError, match="^init must"):
        Chain(init="zeros")
    with pytest.raises(ValueError, match="learn_w"):
        LatentMixture(np.array([1.0, 0.0]), learn_w=True)
