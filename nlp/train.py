"""Train the scope head: `python -m nlp.train` writes nlp/weights/scope_head.npz from the cases
in nlp/data (written for Mediator, no evaluation data). Reproducible: fixed seed, full-batch
optimisation, numpy only.

    python -m nlp.train                       # train and write the weights
    python -m nlp.train --eval FILE.jsonl     # also score a labelled file the head never saw
    python -m nlp.train --cv FILE.jsonl       # grouped-by-brief cross-validation with FILE added
"""

from __future__ import annotations

import argparse
import json
import sys
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
        self._briefs = {}
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


def grouped_cv(rows: list[dict], X: np.ndarray, sigs: list, folds: int = 5, **kw) -> tuple[dict, np.ndarray]:
    """Every case of a brief stays in one fold."""
    briefs = sorted({r["brief"] for r in rows})
    rng = np.random.default_rng(0)
    order = rng.permutation(len(briefs))
    fold_of = {briefs[i]: j % folds for j, i in enumerate(order)}
    P = np.zeros((len(rows), len(KINDS)))
    for f in range(folds):
        test = np.array([fold_of[r["brief"]] == f for r in rows])
        head = fit(X[~test], [r["kind"] for r, t in zip(rows, test) if not t], **kw)
        P[test] = predict(head, X[test])
    return scores(rows, P, sigs), P


def save(head: dict, path: Path = WEIGHTS) -> None:
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
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlp.train", description=__doc__.splitlines()[0])
    ap.add_argument("--model-path", default=None)
    ap.add_argument("--out", default=str(WEIGHTS))
    ap.add_argument("--eval", dest="eval_file", default=None)
    ap.add_argument("--cv", dest="cv_file", default=None)
    ap.add_argument("--emb-scale", type=float, default=0.5)
    ap.add_argument("--l2", type=float, default=10.0)
    ap.add_argument("--no-embedding", action="store_true")
    ap.add_argument("--tune", action="store_true", help="pick emb-scale and l2 by grouped CV on the training cases")
    args = ap.parse_args(argv)

    from nlp.model import load_encoder

    encoder = load_encoder(args.model_path)
    rows = load_cases()
    X, sigs = featurize(encoder, rows)
    kw = {"emb_scale": args.emb_scale, "l2": args.l2, "use_embedding": not args.no_embedding}
    if args.tune:
        best = None
        for es in (0.15, 0.25, 0.35, 0.5, 0.75):
            for l2 in (0.3, 1.0, 3.0, 10.0):
                s, _ = grouped_cv(rows, X, sigs, emb_scale=es, l2=l2, use_embedding=kw["use_embedding"])
                print(f"emb_scale={es} l2={l2}: f1={s['f1']:.3f} acc={s['accuracy']:.3f} kind={s['kind_accuracy']:.3f}")
                if best is None or s["f1"] + s["kind_accuracy"] * 0.5 > best[0]:
                    best = (s["f1"] + s["kind_accuracy"] * 0.5, es, l2)
        assert best is not None  # the grid is not empty
        kw["emb_scale"], kw["l2"] = best[1], best[2]
        print(f"chosen emb_scale={kw['emb_scale']} l2={kw['l2']}")
    s, _ = grouped_cv(rows, X, sigs, **kw)
    print(
        f"training cases: {len(rows)} from {len({r['brief'] for r in rows})} briefs; "
        f"grouped 5-fold CV f1={s['f1']:.3f} accuracy={s['accuracy']:.3f} kind={s['kind_accuracy']:.3f}"
    )
    head = fit(X, [r["kind"] for r in rows], **kw)
    save(head, Path(args.out))
    print(f"wrote {args.out}")
    if args.eval_file:
        ev = load_jsonl(args.eval_file)
        Xe, se_ = featurize(encoder, ev)
        s = scores(ev, predict(head, Xe), se_)
        print(
            f"{args.eval_file} (never trained on): "
            + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in s.items())
        )
    if args.cv_file:
        ev = load_jsonl(args.cv_file)
        Xe, se_ = featurize(encoder, ev)
        allrows = rows + ev
        s, P = grouped_cv(allrows, np.vstack([X, Xe]), sigs + se_, **kw)
        se = scores(ev, P[len(rows) :], se_)
        print(
            f"{args.cv_file} grouped-by-brief CV with it added to training: "
            + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in se.items())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
