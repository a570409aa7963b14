"""Training the joint reader (nlp.joint); `python -m nlp.train` runs it.

The lower layers' token states of every text are computed once; each epoch then runs only the top
layers, the brief's on its own and the request's reading the brief. Seeds are fixed: the same data gives the same weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nlp.joint import MAX_BRIEF_TOKENS, MAX_REQUEST_TOKENS, SPLIT, build_module, pad
from nlp.scope import KINDS, MAX_BRIEF_CHARS, MAX_REQUEST_CHARS, OUT_KINDS, clean_text


def texts_of(rows: list[dict]) -> tuple[list[str], list[str]]:
    return (
        [clean_text(r["brief"], MAX_BRIEF_CHARS)[0] for r in rows],
        [clean_text(r["request"], MAX_REQUEST_CHARS)[0] or "." for r in rows],
    )


def train(base, states, rows, epochs=5, lr=5e-5, head_lr=1e-3, batch=16, seed=0, split=SPLIT, log=True):
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    module = build_module(base, len(KINDS), split)
    briefs, requests = texts_of(rows)
    hb_all = states.get(briefs, MAX_BRIEF_TOKENS)
    hr_all = states.get(requests, MAX_REQUEST_TOKENS)
    y = torch.tensor([KINDS.index(r["kind"]) for r in rows])
    out = np.array([r["kind"] in OUT_KINDS for r in rows])
    w = np.where(out, 0.5 / max(out.sum(), 1), 0.5 / max((~out).sum(), 1)) * len(rows)
    w_t = torch.tensor(w, dtype=torch.float32)
    y_out = torch.from_numpy(out)
    out_idx = [KINDS.index(k) for k in OUT_KINDS]
    in_idx = [i for i in range(len(KINDS)) if i not in out_idx]
    params = [
        {"params": [p for n, p in module.named_parameters() if not n.startswith("out.")], "lr": lr},
        {"params": module.out.parameters(), "lr": head_lr},
    ]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    steps = epochs * ((len(rows) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps)
    )
    # batches hold the cases of two or three briefs: each brief's side is computed once per batch,
    # and its in-scope and out-of-scope requests are seen side by side
    brief_ids = {b: i for i, b in enumerate(dict.fromkeys(briefs))}
    of_brief = np.array([brief_ids[b] for b in briefs])
    hb_brief = [hb_all[briefs.index(b)] for b in brief_ids]  # token states per distinct brief
    module.train()
    for ep in range(epochs):
        order = np.concatenate(
            [rng.permutation(np.flatnonzero(of_brief == b)) for b in rng.permutation(len(brief_ids))]
        )
        total = 0.0
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            logits = _logits(module, hr_all, hb_brief, of_brief, idx)
            loss = (torch.nn.functional.cross_entropy(logits, y[idx], reduction="none") * w_t[idx]).mean()
            # the verdict itself: out-of-scope kinds' total probability against the label
            logp = torch.log_softmax(logits, -1)
            p_out = torch.logsumexp(logp[:, out_idx], -1)
            p_in = torch.logsumexp(logp[:, in_idx], -1)
            loss = loss + (-(torch.where(y_out[idx], p_out, p_in)) * w_t[idx]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        if log:
            print(f"  epoch {ep + 1}: loss {total / len(rows):.3f}", flush=True)
    module.eval()
    return module


def _logits(module, hr_all, hb_brief, of_brief, idx):
    """The top layers over a batch, each distinct brief's side computed once."""
    import torch

    ub, pos = np.unique(of_brief[idx], return_inverse=True)
    hb, mb = pad([hb_brief[b] for b in ub])
    kv, pooled = module.brief_side(hb, mb)
    sel = torch.from_numpy(pos)
    hr, mr = pad([hr_all[i] for i in idx])
    return module.request_side(hr, mr, [(k[sel], v[sel]) for k, v in kv], mb[sel], pooled[sel])


def predict(module, states, rows, batch=64) -> np.ndarray:
    import torch

    briefs, requests = texts_of(rows)
    hb_all = states.get(briefs, MAX_BRIEF_TOKENS)
    hr_all = states.get(requests, MAX_REQUEST_TOKENS)
    P = np.zeros((len(rows), len(KINDS)), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(rows), batch):
            idx = list(range(start, min(start + batch, len(rows))))
            hr, mr = pad([hr_all[i] for i in idx])
            hb, mb = pad([hb_all[i] for i in idx])
            P[idx] = torch.softmax(module(hr, mr, hb, mb), -1).numpy()
    return P


def save(module, base, path: Path, split: int = SPLIT, calibration=(1.0, 0.0)) -> None:
    """The top layers as deltas from the base weights (fp16) and the output layer."""
    base_params = dict(base.named_parameters())
    arrays = {}
    for name, p in module.layers.named_parameters():
        i, rest = name.split(".", 1)
        full = f"encoder.layer.{split + int(i)}.{rest}"
        arrays[f"delta/{full}"] = (p.detach() - base_params[full].detach()).numpy().astype(np.float16)
    arrays["out/weight"] = module.out.weight.detach().numpy().astype(np.float32)
    arrays["out/bias"] = module.out.bias.detach().numpy().astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        kinds=np.array(KINDS),
        split=np.array(split),
        calibration=np.array(calibration, dtype=np.float64),
        **arrays,
    )
