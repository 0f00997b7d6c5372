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
