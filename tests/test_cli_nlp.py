"""The scope-check contract and the eval and bench commands, through Typer."""

import json

import pytest
import typer
from typer.testing import CliRunner

from bot.cli_nlp import register
from nlp.scope import IN_KINDS

pytestmark = pytest.mark.model

BRIEF = (
    "Logo for a bike repair shop: 3 concepts, then refine the chosen one. Final files SVG and "
    "PNG. Includes 2 rounds of revisions. $300, 2 weeks. Business cards not included."
)
FIELDS = ["id", "out_of_scope", "confidence", "kind", "brief_match", "reason"]


@pytest.fixture()
def app(clf):
    app = typer.Typer()
    register(app, classifier_factory=lambda model_path: clf)

    @app.callback()
    def main():
        """Mediator."""

    return app


def runner():
    return CliRunner()


def lines(*rows):
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"


def test_scope_check_jsonl_reports_bad_lines_and_keeps_going(app, tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text(
        lines(
            {"id": "a", "brief": BRIEF, "request": "Could you also design our business cards?", "domain": "x"},
            "{not json",
            {"id": "b", "brief": BRIEF},
            "",
            {"id": "c", "brief": BRIEF, "request": "Do you want our old logo for reference?"},
        ),
        encoding="utf-8",
    )
    res = runner().invoke(app, ["scope-check", "--jsonl", str(f)])
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "c"]
    assert all(list(o) == FIELDS for o in out)
    assert out[0]["out_of_scope"] is True and out[0]["kind"] == "new_deliverable"
    assert out[1]["out_of_scope"] is False and out[1]["kind"] in IN_KINDS
    assert "line 2" in res.stderr and "line 3" in res.stderr and "request" in res.stderr


def test_scope_check_reads_stdin(app):
    data = lines({"id": 7, "brief": BRIEF, "request": "Can you send 5 concepts instead of 3?"})
    res = runner().invoke(app, ["scope-check", "--jsonl", "-"], input=data)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip())
    assert out["id"] == 7 and out["kind"] == "quantity" and out["out_of_scope"] is True


def test_scope_check_single_pair(app):
    res = runner().invoke(app, ["scope-check", "--brief", BRIEF, "--request", "This is round three of changes, sorry!"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out) == FIELDS and out["kind"] == "extra_revisions"


def test_scope_check_needs_input(app):
    res = runner().invoke(app, ["scope-check", "--brief", BRIEF])
    assert res.exit_code == 2
    assert "--jsonl" in res.stderr


def test_scope_check_missing_file(app, tmp_path):
    res = runner().invoke(app, ["scope-check", "--jsonl", str(tmp_path / "nope.jsonl")])
    assert res.exit_code == 2 and "cannot read" in res.stderr


def test_scope_eval_prints_metrics_and_confusion(app, tmp_path):
    f = tmp_path / "lab.jsonl"
    f.write_text(
        lines(
            {
                "id": "1",
                "brief": BRIEF,
                "request": "Could you also design our business cards?",
                "out_of_scope": True,
                "kind": "new_deliverable",
            },
            {
                "id": "2",
                "brief": BRIEF,
                "request": "Do you want our old logo for reference?",
                "out_of_scope": False,
                "kind": "clarification",
            },
            {
                "id": "3",
                "brief": BRIEF,
                "request": "Can you send 5 concepts instead of 3?",
                "out_of_scope": True,
                "kind": "quantity",
            },
        ),
        encoding="utf-8",
    )
    res = runner().invoke(app, ["scope-eval", str(f)])
    assert res.exit_code == 0, res.output
    assert "F1 1.000" in res.stdout and "precision" in res.stdout and "requests/s" in res.stdout
    assert "confusion" in res.stdout and "quantity (out)" in res.stdout
    res = runner().invoke(app, ["scope-eval", str(f), "--json"])
    report = json.loads(res.stdout)
    assert report["n"] == 3 and report["confusion"]["quantity"] == {"quantity": 1}


def test_bench_json_on_a_small_file(app, tmp_path):
    f = tmp_path / "b.jsonl"
    f.write_text(
        lines(*[{"id": str(i), "brief": BRIEF, "request": f"Could you make {i + 4} concepts?"} for i in range(12)]),
        encoding="utf-8",
    )
    res = runner().invoke(app, ["bench", "--file", str(f), "--json", "--no-cold"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("latency_p50_ms", "latency_p95_ms", "throughput_rps", "baseline_rps", "peak_rss_mb"):
        assert out[key] > 0
    assert out["cases"] == 12


def test_config_model_path_missing_is_a_clear_error(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[nlp]\nmodel_path = "{tmp_path / "no-model"}"\n', encoding="utf-8")
    app = typer.Typer()
    register(app)

    @app.callback()
    def main():
        """Mediator."""

    res = runner().invoke(app, ["scope-check", "--brief", BRIEF, "--request", "hi", "--config", str(cfg)])
    assert res.exit_code == 2
    assert "no-model" in res.stderr


def test_model_export_onnx_matches_reference(app, tmp_path, clf):
    res = runner().invoke(app, ["model", "export-onnx", "--out", str(tmp_path / "onnx")])
    assert res.exit_code == 0, res.output
    for name in ("model.onnx", "joint_brief.onnx", "joint_request.onnx", "export.json"):
        assert (tmp_path / "onnx" / name).exists()
    from nlp.onnx_export import OnnxEncoder

    texts = ["Could you also design our business cards?", "Do you want reference images?"]
    got = OnnxEncoder(str(tmp_path / "onnx")).embed(texts)
    ref = clf.encoder.embed(texts)
    assert (got * ref).sum(1).min() >= 0.999


def test_one_unclassifiable_line_costs_the_others_nothing(app, tmp_path):
    f = tmp_path / "odd.jsonl"
    f.write_text(
        lines(
            {"id": "a", "brief": "8 photos, JPG", "request": "can you add 4 more photos?"},
            "{oops",
            {"id": "b", "brief": "8 photos", "request": "I need " + "9" * 400 + " photos"},
            {"id": "\ud800x", "brief": "8 photos", "request": "12 photos please"},
            {"id": True, "brief": "8 photos", "request": "12 photos"},
            {"id": "c", "brief": "8 photos", "request": "thanks!"},
        )
    )
    res = runner().invoke(app, ["scope-check", "--jsonl", str(f)])
    assert res.exit_code == 0
    out = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert [o["id"] for o in out] == ["a", "b", "\ud800x", "c"]
    assert "line 2: skipped" in res.stderr and "line 5: skipped" in res.stderr


def test_scope_eval_skips_bad_lines_with_their_numbers(app, tmp_path):
    f = tmp_path / "labelled.jsonl"
    f.write_text(
        lines(
            "{oops",
            "5",
            {"id": 1, "brief": "8 photos", "request": "12 photos", "out_of_scope": True, "kind": "quantity"},
        )
    )
    res = runner().invoke(app, ["scope-eval", str(f)])
    assert res.exit_code == 0 and "cases 1" in res.stdout
    assert "line 1: skipped" in res.stderr and "line 2: skipped" in res.stderr
