"""Train the scope classifier: `python -m nlp.train`.

Two stages, reproducible (fixed seeds) on two CPU cores:
1. the matcher: the encoder's last layer fine-tuned to match asks to brief clauses (nlp.train_matcher,
   written pairs and the cases in nlp/data only), saved as a 3 MB fp16 delta;
2. the head: softmax regression over the tuned sentence vector and the rule signals, on the cases in
   nlp/data plus the labelled development sets when they are present (../shared/data), reported by
   cross-validation grouped by brief (no brief on both sides of a split), then calibrated (Platt
   scaling on the held-out folds' scores) and fitted on everything.

    python -m nlp.train                       # both stages, report, write the weights
    python -m nlp.train --skip-matcher        # reuse nlp/weights/matcher_delta.npz
    python -m nlp.train --no-dev              # the head on nlp/data alone (dev sets only measured)

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

from nlp.scope import FEATURES, KINDS, OUT_KINDS, WEIGHTS, ScopeClassifier, decide

DATA = Path(__file__).parent / "data"
EMB_DIM = 384


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


class _FeatureOnly(ScopeClassifier):
    """A classifier shell used to build features before any weights exist."""

    def __init__(self, encoder):
        self.np = np
        self.encoder = encoder
        self.use_embedding = True
        self._briefs = OrderedDict()
        self._briefs_lock = threading.Lock()
        self._brief_cache = 4096


def featurize(encoder, rows: list[dict]) -> tuple[np.ndarray, list]:
    """Feature rows and the rule signals behind them (the decision step needs both)."""
    shell = _FeatureOnly(encoder)
    items, vecs = shell.prepare([(r["brief"], r["request"]) for r in rows])
    feats = [shell.featurize(b, core, asks, vecs) for b, _, core, asks, _ in items]
    return np.asarray([f[0] for f in feats], dtype=np.float32), [f[1] for f in feats]


def fit(
    X: np.ndarray,
    kinds: list[str],
    emb_scale: float = 0.5,
    l2: float = 10.0,
    steps: int = 1500,
    lr: float = 0.05,
    use_embedding: bool = True,
    seed: int = 0,
) -> dict:
    """Softmax regression with L2, out-of-scope and in-scope sides weighted equally."""
    rng = np.random.default_rng(seed)
    if not use_embedding:
        X = X[:, EMB_DIM:]
    y = np.array([KINDS.index(k) for k in kinds])
    n, d = X.shape
    mu = X.mean(0)
    sd = X.std(0)
    sd[sd < 1e-3] = 1.0  # a signal never seen in training must not blow up when it fires
    if use_embedding:
        mu[:EMB_DIM] = 0.0
        sd[:EMB_DIM] = X[:, :EMB_DIM].std() / emb_scale
    Z = (X - mu) / sd
    k = len(KINDS)
    Y = np.eye(k)[y]
    out = np.isin(y, [KINDS.index(c) for c in OUT_KINDS])
    w = np.where(out, 0.5 / max(out.sum(), 1), 0.5 / max((~out).sum(), 1)) * n
    W = rng.normal(0, 0.01, (d, k))
    b = np.zeros(k)
    m_W, v_W, m_b, v_b = 0, 0, 0, 0
    for t in range(1, steps + 1):
        logits = Z @ W + b
        logits -= logits.max(1, keepdims=True)
        P = np.exp(logits)
        P /= P.sum(1, keepdims=True)
        G = (P - Y) * w[:, None] / n
        gW = Z.T @ G + l2 * W / n
        gb = G.sum(0)
        m_W = 0.9 * m_W + 0.1 * gW
        v_W = 0.999 * v_W + 0.001 * gW**2
        m_b = 0.9 * m_b + 0.1 * gb
        v_b = 0.999 * v_b + 0.001 * gb**2
        W -= lr * (m_W / (1 - 0.9**t)) / (np.sqrt(v_W / (1 - 0.999**t)) + 1e-8)
        b -= lr * (m_b / (1 - 0.9**t)) / (np.sqrt(v_b / (1 - 0.999**t)) + 1e-8)
    return {
        "W": W.astype(np.float32),
        "b": b.astype(np.float32),
        "mu": mu.astype(np.float32),
        "sd": sd.astype(np.float32),
        "use_embedding": use_embedding,
    }


def predict(head: dict, X: np.ndarray) -> np.ndarray:
    if not head["use_embedding"]:
        X = X[:, EMB_DIM:]
    Z = (X - head["mu"]) / head["sd"]
    logits = Z @ head["W"] + head["b"]
    logits -= logits.max(1, keepdims=True)
    P = np.exp(logits)
    return P / P.sum(1, keepdims=True)


def decisions(P: np.ndarray, sigs: list) -> list[tuple[bool, str, float]]:
    return [decide(dict(zip(KINDS, map(float, p))), s) for p, s in zip(P, sigs)]


def scores(rows: list[dict], P: np.ndarray, sigs: list) -> dict:
    dec = decisions(P, sigs)
    pred = np.array([d[0] for d in dec])
    y = np.array([bool(r["out_of_scope"]) for r in rows])
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    kinds_pred = [d[1] for d in dec]
    kind_acc = float(np.mean([k == r["kind"] for k, r in zip(kinds_pred, rows)]))
    return {
        "f1": f1,
        "precision": prec,
        "recall": rec,
        "accuracy": float((pred == y).mean()),
        "kind_accuracy": kind_acc,
        "n": len(rows),
    }


def fold_of(rows: list[dict], folds: int = 5, seed: int = 0) -> np.ndarray:
    """A fold per case, every case of a brief in the same fold."""
    briefs = sorted({r["brief"] for r in rows})
    order = np.random.default_rng(seed).permutation(len(briefs))
    of = {briefs[i]: j % folds for j, i in enumerate(order)}
    return np.array([of[r["brief"]] for r in rows])


def grouped_cv(rows: list[dict], X: np.ndarray, sigs: list, folds: int = 5, **kw) -> tuple[dict, np.ndarray]:
    """Every case of a brief stays in one fold."""
    fold = fold_of(rows, folds)
    P = np.zeros((len(rows), len(KINDS)))
    for f in range(folds):
        test = fold == f
        head = fit(X[~test], [r["kind"] for r, t in zip(rows, test) if not t], **kw)
        P[test] = predict(head, X[test])
    return scores(rows, P, sigs), P


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


def p_out_of(P: np.ndarray, sigs: list) -> np.ndarray:
    return np.array([d[2] for d in decisions(P, sigs)])


def report(rows: list[dict], P: np.ndarray, sigs: list, p_cal: np.ndarray | None = None) -> dict:
    """F1 and accuracy (out of scope is positive), and accuracy of the in/out verdict per kind."""
    dec = decisions(P, sigs)
    p = p_cal if p_cal is not None else np.array([d[2] for d in dec])
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


def save(head: dict, path: Path = WEIGHTS, calibration: tuple[float, float] = (1.0, 0.0)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        W=head["W"],
        b=head["b"],
        mu=head["mu"],
        sd=head["sd"],
        kinds=np.array(KINDS),
        features=np.array(FEATURES),
        use_embedding=np.array(head["use_embedding"]),
        calibration=np.array(calibration, dtype=np.float64),
    )


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
    ap = argparse.ArgumentParser(prog="python -m nlp.train", description=__doc__.splitlines()[0])
    ap.add_argument("--model-path", default=None)
    ap.add_argument("--out", default=str(WEIGHTS))
    ap.add_argument("--skip-matcher", action="store_true", help="reuse the shipped matcher delta")
    ap.add_argument("--no-dev", action="store_true", help="fit the head on nlp/data alone")
    ap.add_argument("--dev", nargs="*", default=None, help="labelled JSONL sets (default: ../shared/data scope_dev*)")
    ap.add_argument("--emb-scale", type=float, default=0.5)
    ap.add_argument("--l2", type=float, default=10.0)
    ap.add_argument("--report", default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)

    from nlp.model import Encoder

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
    X, sigs = featurize(encoder, rows + dev)
    save_vectors(encoder)
    kw = {"emb_scale": args.emb_scale, "l2": args.l2}
    n = len(rows)
    figures: dict = {}

    # 1. the head on nlp/data alone, measured on each development set it never saw
    head0 = fit(X[:n], [r["kind"] for r in rows], **kw)
    if dev:
        P0 = predict(head0, X[n:])
        for name in dict.fromkeys(r["set"] for r in dev):
            m = np.array([r["set"] == name for r in dev])
            s = report([r for r, k in zip(dev, m) if k], P0[m], [g for g, k in zip(sigs[n:], m) if k])
            figures[f"without dev sets, on {name}"] = s
            print(_fmt(f"head fitted without the dev sets, measured on {name}", s))

    # 2. grouped-by-brief CV over everything the head is fitted on, calibrated across folds
    fit_rows = rows if args.no_dev else rows + dev
    Xf, sf = X[: len(fit_rows)], sigs[: len(fit_rows)]
    _, P = grouped_cv(fit_rows, Xf, sf, **kw)
    p_raw = p_out_of(P, sf)
    y = np.array([bool(r["out_of_scope"]) for r in fit_rows])
    fold = fold_of(fit_rows)
    p_cal = np.zeros_like(p_raw)
    for f in range(fold.max() + 1):  # each fold calibrated by the others, so ECE is held out too
        a, b = fit_platt(p_raw[fold != f], y[fold != f])
        p_cal[fold == f] = platt(p_raw[fold == f], a, b)
    calibration = fit_platt(p_raw, y)
    for name in dict.fromkeys(r["set"] for r in fit_rows):
        m = np.array([r["set"] == name for r in fit_rows])
        sub = [r for r, k in zip(fit_rows, m) if k]
        s = report(sub, P[m], [g for g, k in zip(sf, m) if k], p_cal[m])
        s["ece_uncalibrated"] = ece(p_raw[m], y[m])
        figures[f"cv {name}"] = s
        print(
            _fmt(f"grouped CV, held-out folds, {name}", s) + f"\n    ECE before calibration {s['ece_uncalibrated']:.3f}"
        )
    s = report(fit_rows, P, sf, p_cal)
    s["ece_uncalibrated"] = ece(p_raw, y)
    figures["cv all"] = s
    print(_fmt("grouped CV, held-out folds, all", s) + f"\n    ECE before calibration {s['ece_uncalibrated']:.3f}")
    print(f"calibration: P(out) = sigmoid({calibration[0]:.3f} * logit(p) + {calibration[1]:.3f})")

    head = fit(Xf, [r["kind"] for r in fit_rows], **kw)
    save(head, Path(args.out), calibration)
    print(f"wrote {args.out}")
    if args.report:
        Path(args.report).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
