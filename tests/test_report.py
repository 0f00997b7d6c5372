"""The shareable report (tsallis-lab report --from): built from a small ledger JSON written here, no check run."""

import json
import re
import struct
import zlib

import pytest

from tsallis_theory.cli import main
from tsallis_theory.ledger.report import first_sentence, load_ledger, number_rows

META = {"version": "9.9.9", "revision": "abc1234", "date": "2026-01-02T03:04:05Z", "tier": "fast",
        "python": "3.99.0", "jax": "0.0.1", "numpy": "7.7.7", "scipy": "1.1.1", "backend": "cpu",
        "platform": "Linux-test", "cores": 3}


def _png(path, shade):
    """A valid 1×1 grey PNG, different bytes for each ``shade``."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(bytes([0, shade])))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + raw + chunk(b"IEND", b""))


@pytest.fixture
def ledger(tmp_path):
    """Four claims: one figure cited by three of them, one figure of a LM preset, a claim of ours, a PARTIAL
    and a REFUTED one. Figure paths are relative to the ledger's folder."""
    _png(tmp_path / "figs" / "flow_escape_times.png", 10)
    _png(tmp_path / "figs" / "flow_slopes.png", 20)
    _png(tmp_path / "figs" / "lm_gpu_warm.png", 30)
    claims = [
        {"id": "ESC-LOWER", "source": "v1 Thm 5.1", "statement": "T_q is bounded below.", "status": "VERIFIED",
         "evidence": "693 escape times: 0 below the bound.", "numbers": {"rows": 693, "tightest": 5.4e-11},
         "figures": ["figs/flow_escape_times.png"], "seconds": 1.0},
        {"id": "ESC-TIGHT", "source": "v1 Thm 5.2", "statement": "Slope 1 - q.", "status": "PARTIAL",
         "evidence": "Slope within 0.010 of 1 − q for q ≤ 0.9. At q = 1 the fit drifts.",
         "numbers": {"flow": {"worst": 0.0101, "models": 8, "per_q": list(range(50))}, "long": list(range(50))},
         "figures": ["figs/flow_escape_times.png", "figs/flow_slopes.png"], "seconds": 1.0},
        {"id": "SIGMOID", "source": "v1 App C.1", "statement": "Sigmoid escape.", "status": "REFUTED",
         "evidence": "[flow] Closed form off by 3e-2 (tol 1e-12). Second sentence.", "numbers": {},
         "figures": ["figs/flow_escape_times.png"], "seconds": 1.0},
        {"id": "LM-WARM", "source": "ours (LM study)", "statement": "Warm start stays stable.",
         "status": "VERIFIED", "evidence": "No method collapses.", "numbers": {"best": "grpo"},
         "figures": ["figs/lm_gpu_warm.png"], "seconds": 1.0},
    ]
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps({"meta": META, "claims": claims}))
    return path


def test_report_from_ledger_json(ledger, tmp_path, capsys):
    out = tmp_path / "share" / "report"
    assert main(["report", "--from", str(ledger), "--out", str(out)]) == 0
    page, md = (out / "report.html").read_text(), (out / "report.md").read_text()
    for text in (page, md):
        assert "../" not in text
        for value in ("2026-01-02T03:04:05Z", "abc1234", "fast", "3.99.0", "0.0.1", "7.7.7", "Linux-test"):
            assert value in text, value
        for cid in ("ESC-LOWER", "ESC-TIGHT", "SIGMOID", "LM-WARM"):
            assert len(re.findall(rf"^## {cid}: " if text is md else rf'<h2 id="claim-{cid.lower()}"', text,
                                  re.M)) == 1, cid
    # each figure shown once (embedded in the HTML, linked inside the folder in the Markdown), named elsewhere
    assert page.count("data:image/png;base64,") == 3
    assert len(set(re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page))) == 3
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", md)
    assert sorted(links) == ["figures/flow_escape_times.png", "figures/flow_slopes.png", "figures/lm_gpu_warm.png"]
    assert all((out / link).is_file() for link in links)
    assert md.count("Figure `flow_escape_times`: shown under [ESC-LOWER]") == 2
    # captions: the figure function's first docstring sentence (the LM preset's figure under its lm_ name)
    from tsallis_theory.cli.report import figure_captions
    from tsallis_theory.plots import figures_of

    captions = figure_captions()
    for name, shown in (("lm_warm", md), ("flow_slopes", page)):
        doc = " ".join(figures_of(name.split("_")[0])[name].__doc__.split("\n\n")[0].split()).replace("``", "")
        assert captions[name][:-1] in doc and len(captions[name]) > 20 and captions[name] in shown
    assert "flow_escape_times" in captions and not any("``" in c for c in captions.values())
    # the summary: counts, the claim of ours, what did not reproduce with its first evidence sentence
    summary = md.split("## ESC-LOWER")[0]
    assert "**2 VERIFIED**" in summary and "**1 PARTIAL**" in summary and "**1 REFUTED**" in summary
    assert "- **LM-WARM** (VERIFIED): Warm start stays stable." in summary
    assert "- **ESC-TIGHT** (PARTIAL): Slope within 0.010 of 1 − q for q ≤ 0.9.\n" in summary
    assert "- **SIGMOID** (REFUTED): [flow] Closed form off by 3e-2 (tol 1e-12).\n" in summary
    assert "693 escape times" not in summary  # the summary table does not repeat the evidence
    # the numbers table: scalars, one level flattened, long lists left out
    assert "| `flow.worst` | 0.0101 |" in md and "per_q" not in md and "`long`" not in md
    assert json.loads((out / "ledger.json").read_text())["meta"] == META


def test_report_folder_can_move(ledger, tmp_path):
    out = tmp_path / "a"
    assert main(["report", "--from", str(ledger), "--out", str(out)]) == 0
    moved = out.rename(tmp_path / "b")
    md = (moved / "report.md").read_text()
    assert all((moved / link).is_file() for link in re.findall(r"!\[[^]]*\]\(([^)]+)\)", md))


@pytest.mark.parametrize("content", [None, "{not json", '{"rows": []}', '{"claims": [{"id": "X"}]}'])
def test_bad_from_is_usage_error(tmp_path, capsys, content):
    path = tmp_path / "ledger.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", "--from", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--from" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "out").exists()


def test_old_ledger_json_without_meta_loads():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "old.json"
        p.write_text(json.dumps({"claims": [{"id": "DIR", "status": "VERIFIED", "evidence": "ok."}]}))
        assert load_ledger(p)["meta"] == {}


def test_number_rows_and_first_sentence():
    assert number_rows({"a": 1.23456789, "b": {"c": True, "d": [1, 2]}, "e": list(range(9)), "f": {"g": {}}}) == [
        ("a", "1.235"), ("b.c", "True"), ("b.d", "[1, 2]")]
    assert first_sentence("Slope 0.99 ± 0.01, e.g. at q = 0.5. Then more.") == "Slope 0.99 ± 0.01, e.g. at q = 0.5."
