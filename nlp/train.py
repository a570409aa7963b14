"""Train the scope classifier: `python -m nlp.train`.

Two stages, reproducible (fixed seeds) on two CPU cores:
1. the matcher: the encoder's last layer fine-tuned to match asks to brief clauses (nlp.train_matcher,
   written pairs and the cases in nlp/data only), saved as a 3 MB fp16 delta;
2. the joint reader (nlp.joint, nlp.train_joint): the encoder's top two layers fine-tuned to read
   brief and request together and give each kind's probability.
   a. trained on the cases in nlp/data alone and measured on the labelled development sets
      (../shared/data), which it never saw: the figures reported, per set and per kind; the
      Platt calibration of P(out of scope) is fitted on those held-out predictions;
   b. with --cv, also cross-validated with every brief's cases in one fold (slow: five trainings);
   c. trained on everything (nlp/data plus the development sets) and written with the calibration.

    python -m nlp.train                       # both stages, report, write the weights
    python -m nlp.train --skip-matcher        # reuse nlp/weights/matcher_delta.npz
    python -m nlp.train --no-dev              # ship the reader trained on nlp/data alone

Sentence vectors are cached in var/cache (gitignored) by text and matcher weights.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import sys
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from nlp.joint import WEIGHTS, LowerStates, load_base, read_requests
from nlp.scope import KINDS, OUT_KINDS, ScopeClassifier, decide

DATA = Path(__file__).parent / "data"


def load_cases(folder: Path = DATA) -> list[dict]:
    """Cases from the block files: 'D: domain', 'B: brief', then 'kind | request' lines."""
    rows = []
    for path in sorted(folder.glob("scope_train_*.txt")):
        domain, brief = "", None
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("D:"):
                domain = line[2:].strip()
            elif line.startswith("B:"):
                brief = line[2:].strip()
            else:
                kind, sep, request = line.partition("|")
                kind = kind.strip()
                if not sep or kind not in KINDS or brief is None:
                    raise ValueError(f"{path.name}:{n}: bad case line: {line[:60]}")
                rows.append(
                    {
                        "id": f"{path.stem}-{n}",
                        "domain": domain,
                        "brief": brief,
                        "request": request.strip(),
                        "kind": kind,
                        "out_of_scope": kind in OUT_KINDS,
                    }
                )
    return rows


def load_jsonl(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


class _SignalsOnly(ScopeClassifier):
    """A classifier shell that computes rule signals before any reader weights exist."""

    def __init__(self, encoder):
        self.np = np
        self.encoder = encoder
        self._briefs = OrderedDict()
        self._briefs_lock = threading.Lock()
        self._brief_cache = 4096

    def read(self, requests, spans):
        return read_requests(self.encoder.model, self.encoder.tokenizer, requests, spans)


def signals_of(encoder, rows: list[dict]) -> list:
    """The rule signals of each case (the decision step reads them beside the probabilities)."""
    shell = _SignalsOnly(encoder)
    items, vecs, reads = shell.prepare([(r["brief"], r["request"]) for r in rows])
    return [shell.signals(b, core, asks, vecs, rd.ask_vecs)[0] for (b, _, core, asks, _), rd in zip(items, reads)]


def decisions(
    P: np.ndarray, sigs: list, calibration: tuple[float, float] = (1.0, 0.0)
) -> list[tuple[bool, str, float]]:
    return [decide(dict(zip(KINDS, map(float, p))), s, calibration) for p, s in zip(P, sigs)]


def fold_of(rows: list[dict], folds: int = 5, seed: int = 0) -> np.ndarray:
    """A fold per case, every case of a brief in the same fold."""
    briefs = sorted({r["brief"] for r in rows})
    order = np.random.default_rng(seed).permutation(len(briefs))
    of = {briefs[i]: j % folds for j, i in enumerate(order)}
    return np.array([of[r["brief"]] for r in rows])


# --- calibration ------------------------------------------------------------------------------------


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def fit_platt(p_out: np.ndarray, y: np.ndarray, steps: int = 500) -> tuple[float, float]:
    """a, b of P(out of scope) = sigmoid(a * logit(p) + b), by Newton steps on the log-loss."""
    z = _logit(p_out)
    a, b = 1.0, 0.0
    for _ in range(steps):
        q = 1 / (1 + np.exp(-(a * z + b)))
        g = np.array([((q - y) * z).sum(), (q - y).sum()])
        w = q * (1 - q)
        H = np.array([[(w * z * z).sum(), (w * z).sum()], [(w * z).sum(), w.sum()]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(H, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


def platt(p_out: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(a * _logit(p_out) + b)))


def ece(p_out: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the verdict's confidence (max(p, 1 - p)) in equal-width bins."""
    pred = p_out >= 0.5
    conf = np.where(pred, p_out, 1 - p_out)
    right = pred == y
    edges = np.linspace(0.5, 1.0, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (conf >= lo) & ((conf < hi) if hi < 1 else (conf <= hi))
        if m.any():
            total += m.sum() / len(y) * abs(conf[m].mean() - right[m].mean())
    return float(total)


def p_out_of(P: np.ndarray, sigs: list, calibration: tuple[float, float] = (1.0, 0.0)) -> np.ndarray:
    return np.array([d[2] for d in decisions(P, sigs, calibration)])


def report(rows: list[dict], P: np.ndarray, sigs: list, calibration: tuple[float, float] = (1.0, 0.0)) -> dict:
    """F1 and accuracy (out of scope is positive), and accuracy of the in/out verdict per kind."""
    dec = decisions(P, sigs, calibration)
    p = np.array([d[2] for d in dec])
    pred = p >= 0.5
    y = np.array([bool(r["out_of_scope"]) for r in rows])
    tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    by_kind = {}
    for k in KINDS:
        m = np.array([r["kind"] == k for r in rows])
        if m.any():
            by_kind[k] = {"n": int(m.sum()), "accuracy": float((pred[m] == y[m]).mean())}
    return {
        "n": len(rows),
        "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
        "accuracy": float((pred == y).mean()),
        "precision": prec,
        "recall": rec,
        "kind_accuracy": float(np.mean([d[1] == r["kind"] for d, r in zip(dec, rows)])),
        "ece": ece(p, y),
        "by_kind": by_kind,
    }


# --- sentence vectors cached on disk between runs -------------------------------------------------

CACHE = Path(__file__).resolve().parent.parent / "var" / "cache"


def _vector_cache_path(encoder) -> Path:
    from nlp.matching import DELTA

    tag = hashlib.sha1(DELTA.read_bytes()).hexdigest()[:10] if getattr(encoder, "tuned", False) else "base"
    return CACHE / f"vectors-{tag}.npz"


def load_vectors(encoder) -> None:
    path = _vector_cache_path(encoder)
    encoder._cache_size = max(encoder._cache_size, 200_000)
    if path.exists():
        data = np.load(path, allow_pickle=False)
        for t, v in zip(data["texts"], data["vectors"]):
            encoder._cache[str(t)] = v


def save_vectors(encoder) -> None:
    path = _vector_cache_path(encoder)
    path.parent.mkdir(parents=True, exist_ok=True)
    texts = list(encoder._cache)
    np.savez(path, texts=np.array(texts), vectors=np.stack([encoder._cache[t] for t in texts]))


def _fmt(name: str, s: dict) -> str:
    kinds = "  ".join(f"{k} {v['accuracy']:.2f} ({v['n']})" for k, v in s["by_kind"].items())
    return (
        f"{name}: n={s['n']} F1 {s['f1']:.3f} accuracy {s['accuracy']:.3f} kind {s['kind_accuracy']:.3f} "
        f"ECE {s['ece']:.3f}\n    by kind: {kinds}"
    )


def dev_sets() -> list[Path]:
    """The labelled development sets in a `shared/data` folder beside the checkout (or above a
    worktree of it); MEDIATOR_SCOPE_DEV_DIR names another folder."""
    env = os.environ.get("MEDIATOR_SCOPE_DEV_DIR")
    folders = [Path(env)] if env else [p / "shared" / "data" for p in Path(__file__).resolve().parents]
    for folder in folders:
        found = [folder / n for n in ("scope_dev.jsonl", "scope_dev2.jsonl") if (folder / n).exists()]
        if found:
            return found
    return []


def main(argv: list[str] | None = None) -> int:
    from nlp import train_joint as joint

    ap = argparse.ArgumentParser(prog="python -m nlp.train", description=__doc__.splitlines()[0])
    ap.add_argument("--model-path", default=None)
    ap.add_argument("--out", default=str(WEIGHTS))
    ap.add_argument("--skip-matcher", action="store_true", help="reuse the shipped matcher delta")
    ap.add_argument("--no-dev", action="store_true", help="ship the reader trained on nlp/data alone")
    ap.add_argument("--cv", action="store_true", help="also cross-validate over the dev sets, grouped by brief")
    ap.add_argument("--dev", nargs="*", default=None, help="labelled JSONL sets (default: ../shared/data scope_dev*)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--report", default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)

    import torch

    from nlp.model import Encoder

    torch.set_num_threads(2)
    if args.skip_matcher:
        encoder = Encoder(args.model_path)
    else:
        from nlp.train_matcher import train as train_matcher

        encoder = Encoder(args.model_path, tuned=False)
        train_matcher(encoder, epochs=20, lr=5e-5)
        encoder.tuned = True
        encoder.clear_cache()
    load_vectors(encoder)
    rows = load_cases()
    for r in rows:
        r["set"] = "nlp/data"
    dev_paths = [Path(p) for p in args.dev] if args.dev is not None else dev_sets()
    dev = []
    for path in dev_paths:
        for r in load_jsonl(path):
            r["set"] = path.name
            dev.append(r)
    sigs = signals_of(encoder, rows + dev)
    save_vectors(encoder)
    dev_sigs = sigs[len(rows) :]
    base, tok = load_base(args.model_path)
    states = LowerStates(base, tok, cache_size=1_000_000)
    figures: dict = {}
    calibration = (1.0, 0.0)

    def measure(label: str, P: np.ndarray, calibration: tuple[float, float] = (1.0, 0.0)) -> None:
        for name in dict.fromkeys(r["set"] for r in dev):
            m = np.array([r["set"] == name for r in dev])
            sub = [r for r, k in zip(dev, m) if k]
            s = report(sub, P[m], [g for g, k in zip(dev_sigs, m) if k], calibration)
            figures[f"{label}, {name}"] = s
            print(_fmt(f"{label}, {name}", s), flush=True)

    if dev:
        # a. trained without the dev sets, measured on them; the calibration comes from these
        print(f"joint reader on nlp/data alone ({len(rows)} cases)", flush=True)
        module = joint.train(base, states, rows, args.epochs, args.lr)
        P = joint.predict(module, states, dev)
        y = np.array([bool(r["out_of_scope"]) for r in dev])
        calibration = fit_platt(P[:, [KINDS.index(k) for k in OUT_KINDS]].sum(1), y)
        measure("trained without the dev sets", P, calibration)
        print(f"calibration: P(out) = sigmoid({calibration[0]:.3f} * logit(p) + {calibration[1]:.3f})")
        if args.cv:  # b. grouped by brief, nlp/data always in training
            fold = fold_of(dev)
            Pcv = np.zeros_like(P)
            for f in range(fold.max() + 1):
                test = fold == f
                print(f"fold {f + 1}: training on {len(rows) + int((~test).sum())} cases", flush=True)
                m = joint.train(base, states, rows + [r for r, t in zip(dev, test) if not t], args.epochs, args.lr)
                Pcv[test] = joint.predict(m, states, [r for r, t in zip(dev, test) if t])
            measure("grouped CV over the dev sets", Pcv, calibration)
    fit_rows = rows if args.no_dev else rows + dev
    print(f"joint reader on {len(fit_rows)} cases", flush=True)
    module = joint.train(base, states, fit_rows, args.epochs, args.lr)
    joint.save(module, base, Path(args.out), calibration=calibration)
    print(f"wrote {args.out}")
    if args.report:
        Path(args.report).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
