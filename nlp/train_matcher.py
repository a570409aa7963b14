"""Fine-tune the encoder's last layer for matching asks to brief clauses (see nlp.matching).

Data, all written for Mediator (no evaluation set is read):
- nlp/data/match_pairs.txt: a clause, asks that mean the same item in other words (+) and asks
  for a nearby but different item (-);
- the training cases in nlp/data/scope_train_*.txt: an `in_brief` request must be close to some
  clause of its brief, a `new_deliverable` request far from all of them (multiple-instance: which
  clause is not written down).

Only layer 5 trains, so the hidden states entering it are computed once per text and cached in
var/cache (gitignored); an epoch is then a few seconds on two cores. Fixed seeds; full determinism
on CPU. Writes the layer's delta from the base weights in fp16 (~3.5 MB).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from nlp.matching import DELTA, TUNED_LAYERS, tuned_parameter_names

DATA = Path(__file__).parent / "data"
CACHE = Path(__file__).resolve().parent.parent / "var" / "cache"


def load_pairs(path: Path = DATA / "match_pairs.txt") -> list[tuple[str, list[str], list[str]]]:
    groups: list[tuple[str, list[str], list[str]]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        mark, text = line[:1], line[1:].strip()
        if mark == "=":
            groups.append((text, [], []))
        elif mark in "+-" and groups:
            _, positives, negatives = groups[-1]
            (positives if mark == "+" else negatives).append(text)
        else:
            raise ValueError(f"{path.name}:{n}: expected '= clause', '+ ask' or '- ask'")
    return groups


def case_bags() -> list[tuple[list[str], str, int]]:
    """(promising clauses of a brief, request, 1 for in_brief / 0 for new_deliverable)."""
    from nlp.asks import core_text
    from nlp.brief import parse_brief
    from nlp.train import load_cases

    out = []
    for r in load_cases():
        if r["kind"] not in ("in_brief", "new_deliverable"):
            continue
        b = parse_brief(r["brief"])
        excl = {q.text for q in b.requirements if q.kind == "exclusion"}
        clauses = [c for c in b.clauses if c not in excl]
        if clauses:
            out.append((clauses, core_text(r["request"]), int(r["kind"] == "in_brief")))
    return out


class StateCache:
    """Hidden states entering the tuned layer, per text, kept on disk between runs."""

    def __init__(self, encoder, name: str):
        self.enc = encoder
        self.path = CACHE / f"matcher-{name}.npz"
        self.states: dict[str, np.ndarray] = {}
        if self.path.exists():
            data = np.load(self.path, allow_pickle=False)
            keys = [str(k) for k in data["keys"]]
            self.states = {k: data[f"s{i}"] for i, k in enumerate(keys)}

    def fill(self, texts: list[str]) -> None:
        import torch

        missing = sorted(set(texts) - set(self.states))
        tok, model = self.enc.tokenizer, self.enc.model
        for start in range(0, len(missing), 64):
            chunk = missing[start : start + 64]
            batch = tok(chunk, padding=True, truncation=True, max_length=128, return_tensors="pt")
            with torch.inference_mode():
                hs = model(**batch, output_hidden_states=True).hidden_states[TUNED_LAYERS[0]]
            for t, h, m in zip(chunk, hs, batch["attention_mask"]):
                self.states[t] = h[: int(m.sum())].numpy().astype(np.float16)
        if missing:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = list(self.states)
            arrays: dict[str, Any] = {f"s{i}": self.states[k] for i, k in enumerate(keys)}
            np.savez(self.path, keys=np.array(keys), **arrays)

    def batch(self, texts: list[str]):
        import torch

        T = max(len(self.states[t]) for t in texts)
        H = np.zeros((len(texts), T, self.states[texts[0]].shape[1]), dtype=np.float32)
        M = np.zeros((len(texts), T), dtype=bool)
        for i, t in enumerate(texts):
            s = self.states[t]
            H[i, : len(s)] = s
            M[i, : len(s)] = True
        return torch.from_numpy(H), torch.from_numpy(M)


def encode_tuned(layer, H, M):
    """The tuned layer, then mean pooling and L2 normalisation (as nlp.model.Encoder does)."""
    import torch

    mask4 = M[:, None, None, :].expand(-1, 1, M.shape[1], -1)
    out = layer(H, attention_mask=mask4)
    out = out[0] if isinstance(out, tuple) else out
    m = M.unsqueeze(-1).to(out.dtype)
    pooled = (out * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def train(encoder, epochs: int = 6, lr: float = 2e-5, seed: int = 0, out: Path = DELTA, log=print) -> dict:
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    groups = load_pairs()
    bags = case_bags()
    texts = [g[0] for g in groups] + [a for g in groups for a in g[1] + g[2]]
    texts += [c for clauses, _, _ in bags for c in clauses] + [r for _, r, _ in bags]
    digest = hashlib.sha1("\n".join(sorted(set(texts))).encode()).hexdigest()[:10]
    cache = StateCache(encoder, digest)
    cache.fill(texts)
    model = encoder.model
    layer = model.encoder.layer[TUNED_LAYERS[0]]
    names = tuned_parameter_names(model)
    base = {n: p.detach().clone() for n, p in model.named_parameters() if n in names}
    for p in model.parameters():
        p.requires_grad_(False)
    params = [p for n, p in model.named_parameters() if n in names]
    for p in params:
        p.requires_grad_(True)
    layer.train()
    scale = torch.nn.Parameter(torch.tensor(20.0))
    bias = torch.nn.Parameter(torch.tensor(-12.0))
    opt = torch.optim.AdamW([*params, scale, bias], lr=lr, weight_decay=0.01)
    opt.param_groups[0]["lr"] = lr
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    pos = [(gi, a) for gi, g in enumerate(groups) for a in g[1]]
    neg = [(gi, a) for gi, g in enumerate(groups) for a in g[2]]
    history = []
    for epoch in range(epochs):
        order = rng.permutation(len(pos))
        bag_order = rng.permutation(len(bags))
        total = 0.0
        steps = max(1, len(order) // 16)
        for s in range(steps):
            idx = order[s * 16 : (s + 1) * 16]
            gids = sorted({pos[i][0] for i in idx})
            clause_texts = [groups[g][0] for g in gids]
            asks = [pos[i][1] for i in idx]
            target = torch.tensor([gids.index(pos[i][0]) for i in idx])
            negs = [(groups[g][0], a) for g, a in (neg[j] for j in rng.choice(len(neg), 16, replace=False))]
            B = bag_order[s * 8 : (s + 1) * 8] if s * 8 < len(bags) else rng.choice(len(bags), 8, replace=False)
            bag_texts = [c for b in B for c in bags[b][0]] + [bags[b][1] for b in B]
            all_texts = list(
                dict.fromkeys(clause_texts + asks + [c for c, _ in negs] + [a for _, a in negs] + bag_texts)
            )
            V = encode_tuned(layer, *cache.batch(all_texts))
            at = {t: i for i, t in enumerate(all_texts)}
            C = V[[at[t] for t in clause_texts]]
            A = V[[at[t] for t in asks]]
            # which clause of the batch does each ask mean (in-batch negatives)
            loss = torch.nn.functional.cross_entropy(20.0 * A @ C.T, target)
            # same / different, with a learned threshold
            sp = (A * C[target]).sum(1)
            sn = (V[[at[c] for c, _ in negs]] * V[[at[a] for _, a in negs]]).sum(1)
            loss = loss + bce(scale * sp + bias, torch.ones_like(sp)) + bce(scale * sn + bias, torch.zeros_like(sn))
            # cases: an in-brief request is near some clause of its brief, a new deliverable near none
            mil, ys = [], []
            for b in B:
                clauses, req, y = bags[b]
                sims = V[[at[c] for c in clauses]] @ V[at[req]]
                mil.append(sims.max())
                ys.append(float(y))
            mil_t = torch.stack(mil)
            loss = loss + 0.5 * bce(scale * mil_t + bias, torch.tensor(ys))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss)
        history.append(total / steps)
        log(f"matcher epoch {epoch + 1}/{epochs}: loss {total / steps:.3f}")
    layer.eval()
    for p in params:
        p.requires_grad_(False)
    delta = {n: (p.detach() - base[n]).numpy().astype(np.float16) for n, p in model.named_parameters() if n in names}
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **delta)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return {"loss": history, "pairs": len(pos), "negatives": len(neg), "cases": len(bags)}
