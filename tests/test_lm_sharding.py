"""Training over two host devices, along the data axis (one run's prompt batch) and along the run axis (a
batch of runs), gives the same result as one device (subprocess, since the device count is fixed when JAX
starts)."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    assert len(jax.devices()) == 2, jax.devices()
    from tsallis_theory.lm.configs import TaskConfig, TrainConfig
    from tsallis_theory.lm.tabular import TabularPolicy
    from tsallis_theory.lm.trainer import make_trainer
    from tsallis_theory.lm.sharding import data_mesh
    task = TaskConfig(3, 2)
    # a tabular policy: the sharded axes (prompts, runs) are the same as a transformer's, the compile is cheap
    pol = TabularPolicy(jax.random.PRNGKey(0), task, init_scale=0.5, digit_bias=-1.0)
    cfg = TrainConfig(method="garl-0.75", steps=4, chunk=2, lr=0.5, batch_prompts=4, group_size=3, eval_prompts=4)
    out = []
    for mesh in (None, data_mesh()):
        tr = make_trainer(task, cfg, pol, mesh)
        st = tr.init(pol)
        st, m1 = tr.train_chunk(st)
        st, m2 = tr.train_chunk(st)
        out.append((jax.tree.leaves(st.params), m2, tr.evaluate(st.params)))
    (p1, m1, e1), (p2, m2, e2) = out
    assert len(p2[0].sharding.device_set) == 2 or p2[0].sharding.is_fully_replicated
    for a, b in zip(p1, p2):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)
    # logged metrics are float32 means, so a different reduction order shows at float32 resolution
    for k in m1:
        np.testing.assert_allclose(np.asarray(m1[k]), np.asarray(m2[k]), rtol=1e-6, atol=1e-7)
    for k in e1:
        np.testing.assert_allclose(float(e1[k]), float(e2[k]), rtol=1e-6, atol=1e-7)

    # the run axis: three runs (padded to four) split over the two devices, against one device
    import dataclasses
    from tsallis_theory.lm.sharding import run_mesh
    from tsallis_theory.studies._lm_loop import train_batch
    tab = TabularPolicy(jax.random.PRNGKey(1), task, init_scale=0.5, digit_bias=-1.0)
    runs = [cfg, dataclasses.replace(cfg, method="garl-1", seed=1, lr=0.2), dataclasses.replace(cfg, seed=2)]
    tr = make_trainer(task, cfg, tab)
    one = train_batch(task, runs, [tab] * 3, policy_descs=[{}] * 3, trainer=tr, progress=False)
    two = train_batch(task, runs, [tab] * 3, policy_descs=[{}] * 3, trainer=tr, run_mesh=run_mesh(), progress=False)
    st = tr.init_batch([tab] * 4, runs + runs[-1:], run_mesh())
    assert len(jax.tree.leaves(st.params)[0].sharding.device_set) == 2
    for h1, h2 in zip(one, two):
        assert h1["escape_step"] == h2["escape_step"]
        for k in h1["steps"]:
            np.testing.assert_allclose(h1["steps"][k], h2["steps"][k], rtol=1e-6, atol=1e-7)
        for a, b in zip(h1["evals"], h2["evals"]):
            np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-6, atol=1e-7)
    print("SAME")
""")


def test_two_devices_match_one_device():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.getcwd()}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0 and "SAME" in proc.stdout, proc.stderr[-3000:]


def test_batch_must_divide_devices():
    import jax
    import pytest

    from tsallis_theory.lm.sharding import data_mesh
    from tsallis_theory.lm.configs import TaskConfig, TrainConfig
    from tsallis_theory.lm.tabular import TabularPolicy
    from tsallis_theory.lm.trainer import make_trainer

    class FakeMesh:
        size = 2

    task = TaskConfig(3, 2)
    with pytest.raises(ValueError, match="divisible by the number of devices"):
        make_trainer(task, TrainConfig(batch_prompts=3), TabularPolicy(jax.random.PRNGKey(0), task), FakeMesh())
    assert data_mesh().size == len(jax.devices())
