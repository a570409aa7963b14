"""Command-line tools for the language model: scope-check (the machine contract other programs
read), scope-eval and bench. `register(app)` adds them to the main Typer app."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import typer

CHUNK = 256


def _settings(config: Path | None) -> dict:
    """[nlp] model_path, backend ("torch" or "onnx") and onnx_path from the validated config."""
    from mediation.config import ConfigError, load_settings

    try:
        nlp = load_settings(config).nlp
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config")
    return {k: v for k, v in nlp.model_dump().items() if k in ("model_path", "backend", "onnx_path") and v}


def _default_factory(model_path: str | None, backend: str = "torch", onnx_path: str | None = None):
    from nlp.scope import load_classifier

    return load_classifier(model_path, backend=backend, onnx_path=onnx_path)


def register(app: typer.Typer, classifier_factory: Callable | None = None) -> None:
    """Add scope-check, scope-eval and bench to app. classifier_factory(model_path) builds the
    classifier (tests pass one that returns a shared instance)."""

    def build(config: Path | None):
        settings = _settings(config)
        try:
            if classifier_factory is not None:
                return classifier_factory(settings.get("model_path"))
            return _default_factory(
                settings.get("model_path"), settings.get("backend", "torch"), settings.get("onnx_path")
            )
        except (FileNotFoundError, RuntimeError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)

    @app.command("scope-check")
    def scope_check(
        jsonl: str | None = typer.Option(None, "--jsonl", help="JSON Lines file with id, brief, request; - for stdin"),
        brief: str | None = typer.Option(None, "--brief", help="brief text (with --request)"),
        request: str | None = typer.Option(None, "--request", help="request text (with --brief)"),
        config: Path | None = typer.Option(None, "--config", help="config.toml (its nlp table names model_path)"),
    ) -> None:
        """Is each request inside its brief? One JSON line per input."""
        from nlp.evaluate import BadLine, parse_line

        if jsonl is None and (brief is None or request is None):
            typer.echo("error: give --jsonl FILE, or both --brief and --request", err=True)
            raise typer.Exit(2)
        if jsonl is None:
            clf = build(config)
            typer.echo(json.dumps(clf.check(brief, request).to_json("1"), ensure_ascii=False))
            return
        if jsonl == "-":
            raw = getattr(sys.stdin, "buffer", None)
            stream = io.TextIOWrapper(raw, encoding="utf-8", errors="replace") if raw else sys.stdin
        else:
            try:
                stream = open(jsonl, encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by the with below)
            except OSError as exc:
                typer.echo(f"error: cannot read {jsonl}: {exc.strerror}", err=True)
                raise typer.Exit(2)
        clf = build(config)
        batch: list[dict] = []

        def emit(number: int, row: dict, res) -> None:
            try:
                typer.echo(json.dumps(res.to_json(row["id"]), ensure_ascii=False))
            except UnicodeEncodeError:  # an id that is not valid text still gets its answer, escaped
                typer.echo(json.dumps(res.to_json(row["id"])))

        def flush():
            try:
                results = clf.check_many([(r["brief"], r["request"]) for _, r in batch])
            except Exception:  # one bad row must not cost the others their answers: go one by one
                results = []
                for number, r in batch:
                    try:
                        results.append(clf.check(r["brief"], r["request"]))
                    except Exception as exc:
                        typer.echo(f"line {number}: skipped: could not classify ({exc.__class__.__name__})", err=True)
                        results.append(None)
            for (number, r), res in zip(batch, results):
                if res is not None:
                    emit(number, r, res)
            batch.clear()

        with stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    batch.append((number, parse_line(line)))
                except BadLine as exc:
                    typer.echo(f"line {number}: skipped: {exc}", err=True)
                    continue
                if len(batch) >= (1 if jsonl == "-" else CHUNK):  # a driver on stdin gets each answer at once
                    flush()
            if batch:
                flush()

    @app.command("scope-eval")
    def scope_eval(
        file: Path = typer.Argument(..., help="labelled JSON Lines (id, brief, request, out_of_scope, kind)"),
        as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
        config: Path | None = typer.Option(None, "--config"),
    ) -> None:
        """Precision, recall, F1, accuracy and the kind confusion table on a labelled file."""
        from nlp.evaluate import evaluate, format_report, read_rows

        if not file.exists():
            typer.echo(f"error: file not found: {file}", err=True)
            raise typer.Exit(2)
        rows = [r for r in read_rows(file, report=lambda m: typer.echo(m, err=True)) if "out_of_scope" in r]
        if not rows:
            typer.echo("error: no labelled lines (out_of_scope) in the file", err=True)
            raise typer.Exit(2)
        report = evaluate(build(config), rows)
        typer.echo(json.dumps(report) if as_json else format_report(report))

    @app.command("bench")
    def bench_cmd(
        file: Path | None = typer.Option(None, "--file", help="scope-check file (default: the dev set)"),
        as_json: bool = typer.Option(False, "--json"),
        cold: bool = typer.Option(True, "--cold/--no-cold", help="measure cold start in a subprocess"),
        config: Path | None = typer.Option(None, "--config"),
    ) -> None:
        """Cold start, latency, throughput against the baseline, and peak memory."""
        from nlp.evaluate import bench, default_bench_file, format_bench, read_rows

        path = file or default_bench_file()
        if not path.exists():
            typer.echo(f"error: file not found: {path}", err=True)
            raise typer.Exit(2)
        rows = read_rows(path, report=lambda m: typer.echo(m, err=True))
        settings = _settings(config)
        result = bench(
            build(config),
            rows,
            settings.get("model_path"),
            cold=cold,
            backend=settings.get("backend", "torch"),
            onnx_path=settings.get("onnx_path"),
        )
        result["file"] = str(path)
        typer.echo(json.dumps(result) if as_json else f"file: {path}\n" + format_bench(result))

    model_app = typer.Typer(help="Manage the sentence model.")
    app.add_typer(model_app, name="model")

    @model_app.command("export-onnx")
    def export_onnx(
        out: Path | None = typer.Option(None, "--out", help="folder for the graphs and the tokenizer"),
        config: Path | None = typer.Option(None, "--config"),
    ) -> None:
        """Export the encoder and the joint reader to ONNX and check they match the reference."""
        from nlp.onnx_export import DEFAULT_DIR, export

        settings = _settings(config)
        target = out or Path(settings.get("onnx_path") or DEFAULT_DIR)
        try:
            path = export(target, settings.get("model_path"))
        except (RuntimeError, OSError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(
            f"exported to {path} (vectors match the reference, cosine >= 0.999; "
            "the joint reader's probabilities within 1e-4)"
        )
