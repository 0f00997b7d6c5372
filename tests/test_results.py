"""Result files resume after an interruption and ignore a half-written last line."""

from tsallis_theory.results import ResultsFile


def test_resume_keeps_finished_rows_and_skips_truncated_line(tmp_path):
    f = ResultsFile(tmp_path / "rows.jsonl", config={"grid": [1, 2, 3]})
    f.start()
    f.append({"q": 0.0, "T": 1.5})
    f.append({"q": 0.5, "T": 2.5})
    with f.path.open("a") as fh:
        fh.write('{"q": 1.0, "T":')  # killed mid-write
    g = ResultsFile(tmp_path / "rows.jsonl")
    g.start()  # resume: header kept
    assert g.header()["config"] == {"grid": [1, 2, 3]}
    assert g.done_keys(["q"]) == {(0.0,), (0.5,)}
    assert "git" in g.header()["meta"]
    g.append({"q": 1.0, "T": 3.5})
    assert g.done_keys(["q"]) == {(0.0,), (0.5,), (1.0,)}


def test_made_by_this_revision_needs_the_same_clean_revision(tmp_path, monkeypatch):
    import tsallis_theory.results as R

    f = ResultsFile(tmp_path / "rows.jsonl")
    for made, now, expected in [("abc1234", "abc1234", True), ("abc1234", "def5678", False),
                                ("abc1234+dirty", "abc1234+dirty", False), ("unknown", "unknown", False)]:
        monkeypatch.setattr(R, "git_revision", lambda made=made: made)
        f.start(fresh=True)
        monkeypatch.setattr(R, "git_revision", lambda now=now: now)
        assert f.made_by_this_revision() is expected, (made, now)
    assert not ResultsFile(tmp_path / "missing.jsonl").made_by_this_revision()


# -- run_tasks: the one resume loop ----------------------------------------------------------------------------

import pytest  # noqa: E402

from tsallis_theory.results import ConfigMismatch, run_tasks  # noqa: E402


def _tasks(calls, n=4, fail_at=None):
    def compute(i):
        calls.append(i)
        if i == fail_at:
            raise KeyboardInterrupt  # killed inside the task, before it returned its rows
        return [{"i": i, "part": 0}, {"i": i, "part": 1}]

    return [(["item", i], lambda i=i: compute(i)) for i in range(n)]


def test_run_tasks_resumes_without_losing_or_repeating(tmp_path):
    path = tmp_path / "study.jsonl"
    calls = []
    with pytest.raises(KeyboardInterrupt):
        run_tasks(path, {"n": 4}, _tasks(calls, fail_at=2), progress=False)
    assert calls == [0, 1, 2]
    calls.clear()
    rows = run_tasks(path, {"n": 4}, _tasks(calls), progress=False)
    assert calls == [2, 3]  # the finished tasks are not rerun; the cut-off one is
    assert sorted((r["i"], r["part"]) for r in rows) == [(i, p) for i in range(4) for p in (0, 1)]
    assert all(r["task"] == ["item", r["i"]] for r in rows)
    calls.clear()
    assert len(run_tasks(path, {"n": 4}, _tasks(calls), progress=False)) == 8 and calls == []


def test_run_tasks_drops_the_rows_of_a_task_cut_off_mid_write(tmp_path):
    path = tmp_path / "study.jsonl"
    run_tasks(path, {"n": 1}, _tasks([], n=1), progress=False)
    with path.open("a") as fh:  # a second task's first row, then the process died mid-line
        fh.write('{"i": 9, "part": 0, "task": ["item", 9]}\n{"i": 9, "pa')
    assert [r["i"] for r in ResultsFile(path).rows()] == [0, 0]


def test_run_tasks_config_mismatch_names_fields_and_path_unless_fresh(tmp_path):
    path = tmp_path / "study.jsonl"
    other = tmp_path / "other.jsonl"
    run_tasks(path, {"n": 2, "grid": {"lo": 1, "hi": 2}}, _tasks([], n=2), progress=False)
    run_tasks(other, {"n": 1}, _tasks([], n=1), progress=False)
    with pytest.raises(ConfigMismatch) as err:
        run_tasks(path, {"n": 2, "grid": {"lo": 1, "hi": 3}}, _tasks([], n=2), progress=False)
    msg = str(err.value)
    assert "grid.hi: 2 on disk, 3 requested" in msg and str(path) in msg and "--fresh" in msg
    assert "\n" not in msg
    calls = []
    rows = run_tasks(path, {"n": 2, "grid": {"lo": 1, "hi": 3}}, _tasks(calls, n=2), fresh=True, progress=False)
    assert calls == [0, 1] and len(rows) == 4
    assert ResultsFile(path).header()["config"]["grid"]["hi"] == 3
    assert len(ResultsFile(other).rows()) == 2  # --fresh leaves other studies' rows alone


def test_a_task_cut_off_after_some_rows_is_redone_once(tmp_path):
    """Rows written before the kill, without their task's marker, are dropped when the task is redone."""
    path = tmp_path / "study.jsonl"
    run_tasks(path, {"n": 2}, _tasks([], n=1), progress=False)
    with path.open("a") as fh:
        fh.write('{"i": 1, "part": 0, "task": ["item", 1]}\n')  # task 1's first row, then the process died
    rows = run_tasks(path, {"n": 2}, _tasks([], n=2), progress=False)
    assert sorted((r["i"], r["part"]) for r in rows) == [(0, 0), (0, 1), (1, 0), (1, 1)]
