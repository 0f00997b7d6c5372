"""Small-LM lab: task and verifier, tabular policy vs enumeration, transformer causality and KV cache,
trainer, checkpoints and resume, bad input (claims LM-COLD, LM-WARM, LM-NOISE)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tsallis_theory.lm import checkpoints as C
from tsallis_theory.lm.configs import TaskConfig, TrainConfig, TransformerConfig
from tsallis_theory.lm.methods import parse_method
from tsallis_theory.lm.objectives import GRPO_CONVENTION, coefficients
from tsallis_theory.lm.sampling import sample_sequence
from tsallis_theory.lm.tabular import TabularPolicy
from tsallis_theory.lm.task import (assemble, corrupt, free_mask, rationale_correct, sample_problems, training_batch,
                                    verify)
from tsallis_theory.lm.trainer import make_trainer
from tsallis_theory.lm.transformer import Transformer
from tsallis_theory.studies._lm_loop import train

TASK = TaskConfig(modulus=3, chain_length=2)
TINY64 = TransformerConfig(d_model=8, n_layers=2, n_heads=2, d_ff=16, dtype="float64")


# ---- task -------------------------------------------------------------------------------------------------
def test_problems_match_python_recomputation(key):
    task = TaskConfig(modulus=7, chain_length=5)
    probs = sample_problems(key, task, 50)
    for prompt, rat, ans in zip(np.asarray(probs.prompt), np.asarray(probs.rationale), np.asarray(probs.answer)):
        assert prompt[0] == task.bos and prompt[-1] == task.sep and len(prompt) == task.prompt_len
        s, partial = int(prompt[1]), []
        for c in prompt[2:-1]:
            s = (s + int(c)) % 7
            partial.append(s)
        assert list(rat) == partial[:-1] and ans == partial[-1]
    assert task.seq_len == task.prompt_len + task.rationale_len + 2


def test_verifier_and_rationale_check(key):
    probs = sample_problems(key, TASK, 20)
    assert np.all(verify(TASK, TASK.digit(probs.answer), probs.answer) == 1)
    assert np.all(verify(TASK, TASK.letter(probs.answer), probs.answer) == 0)  # right value, wrong alphabet
    assert np.all(verify(TASK, TASK.digit(corrupt(TASK, probs.answer)), probs.answer) == 0)
    assert np.all(rationale_correct(TASK, probs.prompt, probs.rationale) == 1)
    assert np.all(rationale_correct(TASK, probs.prompt, (probs.rationale + 1) % 3) == 0)
    seq = assemble(TASK, probs.prompt, probs.rationale, TASK.digit(probs.answer))
    assert seq.shape == (20, TASK.seq_len) and np.all(seq[:, -2] == TASK.ans)


def test_slip_chains_carry_one_slip_forward(key):
    """Stage S's chains (``base.slip_chains``), against a Python recomputation: at rate 1 every chain equals
    the gold chain before one position j and is off by one u != 0 from j on, the answer included, so the
    answer is the one the written rationale implies; at rate 0 the chains are gold; at rate 0.3 the slipped
    fraction of 4000 chains is within 4 standard errors of 0.3, and the slip positions cover 1..L-1."""
    from tsallis_theory.lm.base import slip_chains

    task = TaskConfig(modulus=7, chain_length=5)
    k_prob, k_slip = jax.random.split(key)
    gold = sample_problems(k_prob, task, 4000)
    same = slip_chains(k_slip, task, gold, 0.0)
    assert np.array_equal(same.rationale, gold.rationale) and np.array_equal(same.answer, gold.answer)
    all_slip = slip_chains(k_slip, task, gold, 1.0)
    positions = set()
    for prompt, g_rat, g_ans, rat, ans in zip(*(np.asarray(x[:300]) for x in (
            gold.prompt, gold.rationale, gold.answer, all_slip.rationale, all_slip.answer))):
        diff = (np.append(rat, ans) - np.append(g_rat, g_ans)) % 7
        j = int(np.argmax(diff != 0))
        assert j < task.rationale_len and np.all(diff[:j] == 0) and np.all(diff[j:] == diff[j]) and diff[j] != 0
        assert ans == (rat[-1] + prompt[-2]) % 7  # the answer follows from the written rationale
        positions.add(j)
    assert positions == set(range(task.rationale_len))
    some = slip_chains(k_slip, task, gold, 0.3)
    frac = float(np.mean(np.any(np.asarray(some.rationale) != np.asarray(gold.rationale), axis=1)))
    assert abs(frac - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 4000)


def test_sft_step_trains_on_slipped_chains_only_with_a_slip_rate(monkeypatch, key):
    """``make_sft_step`` calls ``slip_chains`` (with its own key, not the format coin's) only when the slip rate
    is > 0; at rate 0 the step is the gold-chain step of stages A and B, and at rate 1 its loss is on other
    targets."""
    import equinox as eqx
    import optax

    from tsallis_theory.lm import base

    seen, keys = [], []

    def spy(k, task, probs, rate):
        seen.append(rate)
        jax.debug.callback(lambda k_: keys.append(np.asarray(k_)), k)  # the key's value when the step runs
        return real(k, task, probs, rate)

    real = base.slip_chains
    monkeypatch.setattr(base, "slip_chains", spy)
    model = Transformer(jax.random.PRNGKey(3), TASK, TransformerConfig(d_model=8, n_layers=1, n_heads=2, d_ff=16))
    opt = optax.adam(1e-3)
    state = opt.init(eqx.filter(model, eqx.is_inexact_array))
    losses = {rate: float(base.make_sft_step(TASK, 16, 0.9, opt, rate)(model, state, key)[2]) for rate in (0.0, 1.0)}
    gold = float(base.make_sft_step(TASK, 16, 0.9, opt)(model, state, key)[2])
    assert seen == [1.0] and losses[0.0] == gold and losses[1.0] != gold
    assert len(keys) == 1 and not any(np.array_equal(keys[0], np.asarray(k)) for k in jax.random.split(key))


def test_descending_stages_name_their_fields_when_a_target_is_missed():
    """Stages S and B, strict, end with a one-line RuntimeError naming the config fields that would reach a
    target they missed; not strict, they stop with the targets reached."""
    from tsallis_theory.lm import base
    from tsallis_theory.lm.configs import PretrainConfig

    cfg = TransformerConfig(d_model=8, n_layers=1, n_heads=2, d_ff=16)
    pre = PretrainConfig(slip_p0_targets=(1e-6,), p0_targets=(1e-6,), slip_max_steps=2, cold_max_steps=2,
                         measure_every=1, measure_prompts=4, measure_k=1, batch=4)
    model = base.init_model(TASK, cfg, pre)
    measure = base.make_measure(TASK, model, pre)
    for stage, fields in ((base.slip_stage, "slip_max_steps, lr_slip or slip_rate"),
                          (base.cold_stage, "cold_max_steps or lr_cold")):
        with pytest.raises(RuntimeError, match=f"targets \\[1e-06\\] not reached \\(raise {fields}\\)"):
            list(stage(TASK, model, pre, measure, 0))
        assert [p.kept for p in stage(TASK, model, pre, measure, 0, strict=False)] == [(), ()]


def test_rationale_agreement_equals_pair_count():
    """``evaluation.rationale_agreement`` against counting the identical ordered pairs by hand."""
    from tsallis_theory.lm.evaluation import rationale_agreement

    rng = np.random.default_rng(0)
    rat = rng.integers(0, 2, size=(6, 5, 2))
    by_hand = np.mean([np.mean([np.array_equal(r[i], r[j]) for i in range(5) for j in range(5) if i != j])
                       for r in rat])
    assert float(rationale_agreement(jnp.asarray(rat))) == pytest.approx(by_hand, abs=1e-6)
    assert float(rationale_agreement(jnp.zeros((3, 4, 2)))) == 1.0
    assert float(rationale_agreement(jnp.asarray(rat[:, :1]))) == 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"slip_rate": 1.0}, "slip_rate must be in"), ({"slip_p0_targets": (0.2, 0.4)}, "slip_p0_targets must be"),
    ({"lr_slip": 0.0}, "lr_slip must be in"), ({"slip_max_steps": 0}, "slip_max_steps must be >= 1")])
def test_pretrain_config_rejects_bad_slip_fields(kwargs, match):
    from tsallis_theory.lm.configs import PretrainConfig

    with pytest.raises(ValueError, match=match):
        PretrainConfig(**kwargs)


def test_training_batch_fixed_set_and_traced_arm(key):
    """The fixed training set (LM-NOISE's memorisation arm): every draw of an index gives the same problem and
    the same (possibly flipped) label, and the flipped labels are wrong; a traced ``train_set`` (a run's knob)
    gives exactly the draws of the static one, for both arms."""
    task, n, b, eps = TaskConfig(modulus=7, chain_length=3), 5, 64, 0.4
    run_key = jax.random.PRNGKey(3)
    seen = {}
    for step in range(3):
        k_prob, k_noise = jax.random.split(jax.random.fold_in(key, step))
        tb = training_batch(task, run_key, k_prob, k_noise, b, eps, n)
        for prompt, train, clean, flip in zip(np.asarray(tb.problems.prompt), np.asarray(tb.label),
                                              np.asarray(tb.clean), np.asarray(tb.flipped)):
            seen.setdefault(tuple(prompt), set()).add((int(train), bool(flip)))
            assert (train != clean) == flip
    assert len(seen) <= n and all(len(v) == 1 for v in seen.values())
    k_prob, k_noise = jax.random.split(key)
    traced = jax.jit(lambda ts: training_batch(task, run_key, k_prob, k_noise, b, eps, ts))
    for arm in (0, n):
        for a, t in zip(jax.tree.leaves(training_batch(task, run_key, k_prob, k_noise, b, eps, arm)),
                        jax.tree.leaves(traced(jnp.int32(arm)))):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(t))


@pytest.mark.parametrize("kwargs, match", [({"modulus": 1}, "modulus"), ({"chain_length": 1}, "chain_length")])
def test_task_rejects_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TaskConfig(**kwargs)


# ---- tabular policy vs enumeration -----------------------------------------------------------------------
def test_tabular_log_probs_equal_table_softmax(key):
    pol = TabularPolicy(key, TASK, init_scale=1.5, digit_bias=-1.0)
    probs = sample_problems(jax.random.fold_in(key, 1), TASK, 5)
    z_tab, y_tab = np.asarray(pol.logits_z_XZ), np.asarray(pol.logits_y_XZV)
    for prompt, gold in zip(probs.prompt, probs.answer):
        x = int(sum(int(v) * 3 ** i for i, v in enumerate(np.asarray(prompt)[1:4])))
        pz = np.exp(z_tab[x] - np.logaddexp.reduce(z_tab[x]))
        total, marginal = 0.0, 0.0
        for z in range(3):  # every rationale (R = 1 value) and every answer token
            lz, ly = pol.log_probs(prompt, jnp.array([z]), jnp.arange(TASK.vocab_size))
            py = np.exp(y_tab[x, z] - np.logaddexp.reduce(y_tab[x, z]))
            np.testing.assert_allclose(np.exp(lz), pz[z], rtol=1e-12)
            np.testing.assert_allclose(np.exp(ly), py, rtol=1e-12)
            total += float(np.exp(lz + ly).sum())
            marginal += pz[z] * py[int(gold)]
        assert abs(total - 1) < 1e-12
        np.testing.assert_allclose(pol.marginal(prompt, gold), marginal, rtol=1e-12)


def test_tabular_sampling_estimates_marginal(key):
    """E[w̄] = P: the mean teacher-forced w over sampled rationales matches the exact sum (within 4 SE)."""
    pol = TabularPolicy(key, TASK, init_scale=1.0)
    probs = sample_problems(jax.random.fold_in(key, 2), TASK, 1)
    prompt, gold = probs.prompt[0], probs.answer[0]
    keys = jax.random.split(jax.random.fold_in(key, 3), 4000)
    rat, _ = jax.vmap(pol.sample, (0, None))(keys, prompt)
    w = jnp.exp(jax.vmap(lambda r: pol.log_probs(prompt, r, gold[None])[1][0])(rat))
    se = float(w.std()) / np.sqrt(len(w))
    assert abs(float(w.mean()) - float(pol.marginal(prompt, gold))) < 4 * se


# ---- transformer ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_model():
    return Transformer(jax.random.PRNGKey(3), TASK, TINY64)


def test_transformer_is_causal(tiny_model):
    t = TASK.seq_len
    e = tiny_model.embed_VD[jnp.arange(t) % TASK.vocab_size]
    jac = jax.jacobian(lambda x: tiny_model.forward_embeddings(x).sum(-1))(e)  # (T_out, T_in, D)
    norms = np.asarray(jnp.abs(jac).sum(-1))
    later = np.triu(np.ones((t, t), bool), k=1)
    assert np.all(norms[later] == 0.0)
    assert np.all(norms[~later] > 0.0)


def test_kv_cache_equals_full_forward_and_naive_sampler(tiny_model, key):
    probs = sample_problems(key, TASK, 1)
    seq = assemble(TASK, probs.prompt, probs.rationale, TASK.digit(probs.answer))[0]
    full = tiny_model(seq)
    cache = tiny_model.init_cache()
    for pos in range(TASK.seq_len):
        logits, cache = tiny_model.decode_step(seq[pos], pos, cache)
        np.testing.assert_allclose(logits, full[pos], rtol=1e-10, atol=1e-12)
    # sampling with the cache == re-running the full sequence at every step, with the same keys
    template, free = seq, free_mask(TASK)
    for s in range(5):
        k = jax.random.fold_in(key, s)
        cached = sample_sequence(tiny_model, k, template, free)
        keys, toks = jax.random.split(k, TASK.seq_len - 1), [int(template[0])]
        for pos in range(TASK.seq_len - 1):
            logits = tiny_model(jnp.array(toks + [0] * (TASK.seq_len - len(toks))))[pos]
            drawn = int(jax.random.categorical(keys[pos], logits.astype(jnp.float32)))
            toks.append(drawn if bool(free[pos + 1]) else int(template[pos + 1]))
        assert list(np.asarray(cached)) == toks


def test_shared_prompt_equals_one_forward_per_rollout(key):
    """The prompt computed once for M rollouts (``prefix``, ``continuation_logits``, ``log_probs_group``,
    ``sample_group``) against the full per-rollout forward, in float64: logits, log-probabilities and their
    gradient (summed over the rollouts through the shared prompt) to 1e-12, and the same sampled tokens
    from the same keys."""
    m, task = 5, TaskConfig(modulus=3, chain_length=3)  # two rationale tokens
    tiny_model = Transformer(jax.random.PRNGKey(3), task, TINY64)
    probs = sample_problems(key, task, m)
    prompt, p = probs.prompt[0], task.prompt_len
    rationales = probs.rationale  # M different rationales after one prompt
    seq = assemble(task, jnp.broadcast_to(prompt, (m, p)), rationales, task.digit(probs.answer))
    jit = eqx.filter_jit
    prefix_kv, first = jit(lambda mdl: mdl.prefix(prompt))(tiny_model)
    full = jit(lambda mdl: jax.vmap(mdl)(seq[:, :-1]))(tiny_model)
    cont = jit(lambda mdl: jax.vmap(mdl.continuation_logits, in_axes=(None, 0))(prefix_kv, seq[:, p:-1]))(tiny_model)
    np.testing.assert_allclose(jnp.concatenate([jnp.broadcast_to(first, (m, 1, first.shape[-1])), cont], 1),
                               full[:, p - 1:], rtol=1e-12, atol=1e-12)
    answers = jnp.stack([task.digit(probs.answer), (task.digit(probs.answer) + 1) % task.modulus], -1)

    def per_rollout(model):
        return jax.vmap(model.log_probs, in_axes=(None, 0, 0))(prompt, rationales, answers)

    def grouped(model):
        return model.log_probs_group(prompt, rationales, answers)

    for a, b in zip(jit(per_rollout)(tiny_model), jit(grouped)(tiny_model)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    grads = [jit(eqx.filter_grad(lambda mdl, f=f: sum(x.sum() for x in f(mdl))))(tiny_model)
             for f in (per_rollout, grouped)]
    for a, b in zip(jax.tree.leaves(grads[0]), jax.tree.leaves(grads[1])):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    keys = jax.random.split(jax.random.fold_in(key, 7), 64)
    alone = jit(lambda mdl: jax.vmap(mdl.sample, in_axes=(0, None))(keys, prompt))(tiny_model)
    together = jit(lambda mdl: mdl.sample_group(keys, prompt))(tiny_model)
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)
    assert len({tuple(np.asarray(r)) for r in together[0]}) > 1  # the keys drew different rationales


def test_shared_prompt_trainer_equals_the_plain_one(key, monkeypatch):
    """make_trainer(share_prompt=True) trains a float64 transformer through the group methods (in training and
    in evaluation) as the plain trainer does without them: parameters and logged means to 1e-10, evaluations
    to 1e-10."""
    traced = []
    for name in ("sample_group", "log_probs_group"):
        method = getattr(Transformer, name)
        monkeypatch.setattr(Transformer, name, lambda self, *a, _m=method, _n=name: traced.append(_n) or _m(self, *a))
    model = Transformer(jax.random.PRNGKey(5), TASK, TINY64)
    for method in ("garl-0.75",):
        cfg = TrainConfig(method=method, steps=4, chunk=2, lr=0.5, batch_prompts=3, group_size=4, eval_prompts=4)
        runs = []
        for share in (False, True):
            traced.clear()
            runs.append(train(TASK, cfg, model, progress=False, trainer=make_trainer(TASK, cfg, model, share_prompt=share)))
            # each traced once in the train step and once in the evaluation (the group methods run under jit)
            assert sorted(traced) == ([] if not share else ["log_probs_group"] * 2 + ["sample_group"] * 2)
        for a, b in zip(jax.tree.leaves(runs[0][0]), jax.tree.leaves(runs[1][0])):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(runs[0][1]["steps"]["mean_P"], runs[1][1]["steps"]["mean_P"], rtol=1e-10)
        for ea, eb in zip(runs[0][1]["evals"], runs[1][1]["evals"]):
            assert ea.keys() == eb.keys()
            np.testing.assert_allclose([ea[k] for k in ea], [eb[k] for k in ea], rtol=1e-10, atol=1e-12)


def test_transformer_config_errors():
    with pytest.raises(ValueError, match="divisible"):
        TransformerConfig(d_model=10, n_heads=3)
    with pytest.raises(ValueError, match="dtype"):
        TransformerConfig(dtype="int8")


# ---- objectives -----------------------------------------------------------------------------------------------
def test_parse_method_and_errors():
    assert parse_method("rb-rloo").q == 0.0 and parse_method("GARL-0.75").q == 0.75
    assert parse_method("paft-1").kind == "paft" and parse_method("schedule").kind == "schedule"
    with pytest.raises(ValueError, match=r"q must be in \[0, 1\]"):
        parse_method("garl-1.5")
    with pytest.raises(ValueError, match="unknown method 'ppo'"):
        parse_method("ppo")
    with pytest.raises(ValueError, match="q must be a number"):
        parse_method("paft-x")


def test_grpo_advantage_closed_form():
    """The LM study's GRPO is the library's one, under TRL's convention (sample std, eps 1e-4)."""
    assert GRPO_CONVENTION == "trl"
    r = jnp.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    adv = np.asarray(coefficients("grpo", None, jnp.zeros_like(r), r, 0.0).advantage)
    std = np.sqrt(((np.array([1, 0, 0, 0]) - 0.25) ** 2).sum() / 3)
    np.testing.assert_allclose(adv[0], (np.array([1, 0, 0, 0]) - 0.25) / (std + 1e-4), rtol=1e-6)
    assert np.all(adv[1] == 0)


def test_train_config_errors():
    for kwargs, match in [({"method": "nope"}, "unknown method"), ({"group_size": 1}, "group_size"),
                          ({"lr": 0.0}, "lr"), ({"optimizer": "rmsprop"}, "optimizer"),
                          ({"noise_eps": 0.5}, "noise_eps")]:
        with pytest.raises(ValueError, match=match):
            TrainConfig(**kwargs)


# ---- trainer -----------------------------------------------------------------------------------------------
def test_trainer_garl1_escapes_on_tabular_cold_start(key):
    """GARL q = 1 raises mean P from a cold tabular start (p0 ≈ 0.005) past 1/2 within 40 steps."""
    pol = TabularPolicy(key, TASK, init_scale=0.0, digit_bias=-3.5)
    cfg = TrainConfig(method="garl-1", steps=40, chunk=40, lr=20.0, batch_prompts=16, group_size=4, eval_prompts=16)
    _, hist = train(TASK, cfg, pol, progress=False)
    p = hist["steps"]["mean_P"]
    assert p[0] < 0.05 and np.mean(p[-5:]) > 0.5 and hist["escape_step"] is not None
    assert set(hist["evals"][-1]) >= {"p@1", "p@8", "maj@8", "eval_mean_P", "eval_contamination", "rationale_acc"}


def test_resume_equals_uninterrupted(tmp_path, key):
    pol = TabularPolicy(key, TASK, init_scale=0.5, digit_bias=-1.0)
    cfg = TrainConfig(method="paft-0.75", steps=4, chunk=2, lr=1.0, batch_prompts=4, group_size=3, eval_prompts=4)
    trainer = make_trainer(TASK, cfg, pol)
    full, hist_full = train(TASK, cfg, pol, progress=False, trainer=trainer)
    ck = tmp_path / "run"
    train(TASK, TrainConfig(**{**cfg.__dict__, "steps": 2}), pol, progress=False, checkpoint=ck, trainer=trainer)
    resumed, hist_res = train(TASK, cfg, pol, progress=False, checkpoint=ck, trainer=trainer)
    np.testing.assert_array_equal(full.logits_y_XZV, resumed.logits_y_XZV)
    assert hist_full["steps"] == hist_res["steps"]


def test_shared_trainer_equals_dedicated_trainer(key):
    """A run that differs from the trainer's config only in q, ε, the schedule switch and the seed runs on that
    trainer (the per-run values are data) and gives exactly what a trainer compiled for it gives."""
    pol = TabularPolicy(key, TASK, init_scale=0.5, digit_bias=-1.0)
    base = dict(steps=4, chunk=2, lr=1.0, batch_prompts=4, group_size=3, eval_prompts=4)
    shared = make_trainer(TASK, TrainConfig(method="garl-0.25", **base), pol)
    cfg = TrainConfig(method="schedule", noise_eps=0.3, seed=2, schedule_switch=1, **base)
    on_shared, h_shared = train(TASK, cfg, pol, progress=False, trainer=shared)
    own, h_own = train(TASK, cfg, pol, progress=False)
    np.testing.assert_allclose(on_shared.logits_y_XZV, own.logits_y_XZV, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_shared["steps"]["mean_P"], h_own["steps"]["mean_P"], rtol=1e-12)
    assert h_shared["steps"]["q"] == h_own["steps"]["q"] == [1.0, 0.0, 0.0, 0.0]  # switch at step 1
    assert h_shared["evals"] == h_own["evals"]
    with pytest.raises(ValueError, match="compile_key differs"):
        shared.init(pol, TrainConfig(method="sft", **base))


def test_checkpoint_errors(tmp_path, key):
    pol = TabularPolicy(key, TASK)
    C.save(tmp_path / "a", pol, {"x": 1}, kind="base")
    back, _ = C.load(tmp_path / "a", pol, {"x": 1}, kind="base")
    np.testing.assert_array_equal(back.logits_z_XZ, pol.logits_z_XZ)
    with pytest.raises(ValueError, match=r"another config \(x: checkpoint has 1, expected 2"):
        C.load(tmp_path / "a", pol, {"x": 2}, kind="base")
    with pytest.raises(ValueError, match="expected 'train'"):
        C.load(tmp_path / "a", pol, {"x": 1}, kind="train")
    data = (tmp_path / "a.eqx").read_bytes()
    (tmp_path / "a.eqx").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupted"):
        C.load(tmp_path / "a", pol, {"x": 1}, kind="base")
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(ValueError, match="corrupted metadata"):
        C.load(tmp_path / "a", pol, {"x": 1}, kind="base")
    with pytest.raises(ValueError, match="missing"):
        C.load(tmp_path / "nothing", pol, {"x": 1}, kind="base")


def test_train_refuses_checkpoint_of_other_config(tmp_path, key):
    pol = TabularPolicy(key, TASK)
    cfg = TrainConfig(method="garl-1", steps=2, chunk=2, batch_prompts=2, group_size=2, eval_prompts=2)
    train(TASK, cfg, pol, progress=False, checkpoint=tmp_path / "r")
    with pytest.raises(ValueError, match="another config"):
        train(TASK, TrainConfig(**{**cfg.__dict__, "method": "garl-0.5"}), pol, progress=False,
              checkpoint=tmp_path / "r")
