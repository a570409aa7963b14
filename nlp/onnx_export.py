"""Optional ONNX Runtime backend: the whole per-message path (the encoder's pass over the request,
the asks' vectors, the joint reader's two sides) on ONNX Runtime, about twice as fast on CPU and a
much quicker start, with no torch in the process. The transformers backend stays the reference; an
export is accepted only if it matches it (sentence vectors and asks' vectors cosine >= 0.999, kind
probabilities within 1e-4).

An export is three graphs next to the tokenizer:
- model.onnx: the encoder (BERT-fused), giving the last layer's token states (sentence and ask
  vectors, the matcher's layer included) and the states after the lower layers (what the joint
  reader reads), from one run;
- joint_brief.onnx: the joint reader's top layers over a brief on its own: each layer's keys and
  values and the pooled state, cached with the brief;
- joint_request.onnx: the top layers over a request reading the cached brief side, and the output
  layer (the kinds' logits).
The joint graphs bake in nlp/weights/joint.npz and the encoder graph the matcher's delta, so
export.json records the SHA-256 of both, and the reader refuses an export made from other files.

    python -m nlp.onnx_export [--out DIR] [--model-path DIR] [--weights JOINT_NPZ]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import threading
import warnings
from pathlib import Path

import numpy as np

from nlp.joint import (
    BATCH,
    MAX_BRIEF_TOKENS,
    MAX_REQUEST_TOKENS,
    WEIGHTS,
    BriefSide,
    BriefSides,
    RequestRead,
    ask_vectors,
    pad_arrays,
    pad_sides,
)
from nlp.model import MAX_TOKENS, CachedEncoder, ModelNotFound, _offline_env, default_model_path

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "var" / "onnx-minilm"  # 90 MB: not shipped
ONNX_FILE = "model.onnx"
BRIEF_FILE = "joint_brief.onnx"
REQUEST_FILE = "joint_request.onnx"
MANIFEST = "export.json"
LAST, LOWER = "last_hidden_state", "lower_states"
RERUN = "rerun: mediator model export-onnx"
CHECK_TEXTS = [
    "Could you also design our business cards?",
    "8 product pictures of handmade soaps for our Instagram feed, square 1080x1080 JPG.",
    "Hi",
    "The file you sent is 720p and the kitchen part still looks super orange, could you fix the "
    "colour and re-export it please? Thanks a lot, we really love the rest of the video.",
]
CHECK_BRIEFS = [
    "Logo for a bike repair shop: 3 concepts, then refine the chosen one. Final files SVG and PNG. "
    "Includes 2 rounds of revisions. $300, 2 weeks. Business cards not included.",
    CHECK_TEXTS[1] + " Delivery in 5 days, one round of retouching.",
]
CHECK_PAIRS = [  # (brief, request, the asks' character spans)
    (CHECK_BRIEFS[0], CHECK_TEXTS[0], [(0, 41)]),
    (CHECK_BRIEFS[1], CHECK_TEXTS[3], [(0, 74), (75, 130)]),
    (CHECK_BRIEFS[1], "Hi", []),
    (CHECK_BRIEFS[0], "Can the logo be green? And could I get 2 more concepts?", [(0, 22), (23, 55)]),
]


class StaleExport(RuntimeError):
    """The ONNX export does not match the weights the classifier would load, or predates them."""


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file, None when it does not exist."""
    path = Path(path)
    if not path.exists():
        return None
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def export(
    out_dir: str | Path = DEFAULT_DIR,
    model_path: str | None = None,
    check: bool = True,
    joint_path: str | Path | None = None,
) -> Path:
    """Export the encoder and the joint reader to ONNX (opset 17) next to the tokenizer; verify
    against the transformers backend. joint_path: the joint reader's weights (default: shipped)."""
    _offline_env()
    import torch
    from transformers import AutoModel

    from nlp.joint import JointReader
    from nlp.matching import DELTA, apply_delta
    from nlp.model import Encoder

    src = Path(model_path or default_model_path())
    if not (src / "config.json").exists():
        raise ModelNotFound(f"model folder not found or incomplete: {src}")
    joint_path = Path(joint_path) if joint_path else WEIGHTS
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)  # until this export is checked, the folder is not one
    # the transformers backend as it serves: the reference, and the joint reader's source
    ref_encoder = Encoder(str(src))
    ref = JointReader(
        ref_encoder.model, ref_encoder.tokenizer, joint_path, model_delta=DELTA if ref_encoder.tuned else None
    )
    tok = ref_encoder.tokenizer
    # eager attention exports as plain ops that ONNX Runtime can fuse into its Attention kernel
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()
    apply_delta(model)  # the fine-tuned matching layer, as the torch backend loads it
    sample = tok(["a short sentence", "a somewhat longer sentence to export"], padding=True, return_tensors="pt")

    class Hidden(torch.nn.Module):
        def __init__(self, m, split):
            super().__init__()
            self.m, self.split = m, split

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.m(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                output_hidden_states=True,
            )
            return out.last_hidden_state, out.hidden_states[self.split]

    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    _to_onnx(
        Hidden(model, ref.split).eval(),
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        out / ONNX_FILE,
        inputs,
        [LAST, LOWER],
        {name: {0: "batch", 1: "seq"} for name in inputs + [LAST, LOWER]},
    )
    _fuse(out / ONNX_FILE, model.config)
    del model
    _export_joint(ref.module, out)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json", "config.json"):
        if (src / name).exists():
            shutil.copy(src / name, out / name)
    manifest = {
        "joint": {"sha256": file_digest(joint_path), "from": str(joint_path)},
        "matcher_delta": {"sha256": file_digest(DELTA) if ref_encoder.tuned else None, "from": str(DELTA)},
        "split": ref.split,
        "kinds": ref.kinds,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    if check:
        try:
            _check(out, ref_encoder, ref, joint_path)
        except Exception:
            (out / MANIFEST).unlink(missing_ok=True)  # a failed export is not loaded by mistake
            raise
    return out


def _to_onnx(module, args, path: Path, inputs: list[str], outputs: list[str], axes: dict) -> None:
    """torch.onnx.export, which leaves the module in the mode it found it: in eval mode, or a shared
    module (the reference the export is checked against) is left training, dropout on."""
    import torch

    assert not module.training

    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes the dynamic axes already cover
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _export_joint(joint, out: Path) -> None:
    """The joint reader's brief side and request side as two graphs (nlp.joint.build_module)."""
    import torch

    n_top = len(joint.layers)
    d = joint.out.in_features // 4
    kv_names = [f"{part}{i}" for i in range(n_top) for part in ("k", "v")]

    class BriefGraph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.joint = joint

        def forward(self, hb, mb):
            kv, pooled = self.joint.brief_side(hb, mb)
            return (*(x for pair in kv for x in pair), pooled)

    class RequestGraph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.joint = joint

        def forward(self, hr, mr, *rest):
            kv = [(rest[2 * i], rest[2 * i + 1]) for i in range(n_top)]
            return self.joint.request_side(hr, mr, kv, rest[-2], rest[-1])

    gen = torch.Generator().manual_seed(0)
    hb = torch.randn(2, 7, d, generator=gen)
    mb = torch.tensor([[1] * 7, [1] * 5 + [0] * 2], dtype=torch.int64)
    hr = torch.randn(2, 5, d, generator=gen)
    mr = torch.tensor([[1] * 5, [1] * 3 + [0] * 2], dtype=torch.int64)
    with torch.inference_mode():
        kv, pooled = joint.brief_side(hb, mb)
    kv_flat = [x for pair in kv for x in pair]
    brief_axes = {"hb": {0: "batch", 1: "brief_tokens"}, "mb": {0: "batch", 1: "brief_tokens"}}
    brief_axes |= {n: {0: "batch", 2: "brief_tokens"} for n in kv_names} | {"pooled": {0: "batch"}}
    _to_onnx(BriefGraph().eval(), (hb, mb), out / BRIEF_FILE, ["hb", "mb"], kv_names + ["pooled"], brief_axes)
    request_axes = brief_axes | {
        "hr": {0: "batch", 1: "request_tokens"},
        "mr": {0: "batch", 1: "request_tokens"},
        "logits": {0: "batch"},
    }
    del request_axes["hb"]
    _to_onnx(
        RequestGraph().eval(),
        (hr, mr, *kv_flat, mb, pooled),
        out / REQUEST_FILE,
        ["hr", "mr", *kv_names, "mb", "pooled"],
        ["logits"],
        request_axes,
    )


def _check(out: Path, ref_encoder, ref, joint_path: Path) -> None:
    """The exported graphs against the transformers backend, on a few texts and (brief, request) pairs."""
    encoder = OnnxEncoder(str(out))
    got = encoder.embed(CHECK_TEXTS)
    cos = (ref_encoder.embed(CHECK_TEXTS) * got).sum(1)
    if cos.min() < 0.999:
        raise RuntimeError(f"ONNX vectors differ from the reference (min cosine {cos.min():.4f})")
    reader = OnnxJointReader(encoder, joint_path)
    briefs = [b for b, _, _ in CHECK_PAIRS]
    requests = [r for _, r, _ in CHECK_PAIRS]
    spans = [s for _, _, s in CHECK_PAIRS]
    mine, theirs = reader.read(requests, spans), ref.read(requests, spans)
    cos = min(float((a.ask_vecs * b.ask_vecs).sum(1).min()) for a, b in zip(mine, theirs))
    if cos < 0.999:
        raise RuntimeError(f"ONNX asks' vectors differ from the reference (min cosine {cos:.4f})")
    diff = float(np.abs(reader.probs(briefs, mine) - ref.probs(briefs, theirs)).max())
    if diff > 1e-4:
        raise RuntimeError(f"ONNX joint reader's probabilities differ from the reference by {diff:.2g}")


def _fuse(path: Path, config) -> None:
    """BERT graph fusion (attention, GELU, layer norms): about half the CPU time of the raw graph."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(path), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size, opt_level=1
    )
    fused.save_model_to_file(str(path))


class OnnxEncoder(CachedEncoder):
    """Same interface as nlp.model.Encoder, running an exported graph on ONNX Runtime. It imports
    neither torch nor transformers: the tokenizer is the `tokenizers` library's, on the same
    tokenizer.json transformers loads."""

    backend = "onnx"

    def __init__(self, path: str | None = None, threads: int = 2, cache_size: int = 4096):
        super().__init__(cache_size)
        folder = Path(path) if path else DEFAULT_DIR
        if not (folder / ONNX_FILE).exists():
            raise ModelNotFound(f"no ONNX model in {folder} ({RERUN})")
        if not (folder / "tokenizer.json").exists():
            raise ModelNotFound(f"no tokenizer.json in {folder} ({RERUN})")
        _offline_env()
        from tokenizers import Tokenizer

        self.path = str(folder)
        self.threads = threads
        self.session = self.open(folder / ONNX_FILE)
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.outputs = [o.name for o in self.session.get_outputs()]
        self._tokenizer_json = (folder / "tokenizer.json").read_text(encoding="utf-8")
        self._tokenizers: dict[int, Tokenizer] = {}  # per token limit: truncation is the tokenizer's state
        self._tokenizers_lock = threading.Lock()

    def open(self, path: Path):
        """An ONNX Runtime session on this encoder's threads."""
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def tokenize(self, texts: list[str], max_tokens: int) -> dict[str, np.ndarray]:
        """input_ids, attention_mask, token_type_ids (batch, tokens; padded to the longest, int64)
        and offsets (batch, tokens, 2): each token's characters, (0, 0) for [CLS], [SEP], padding."""
        with self._tokenizers_lock:
            tok = self._tokenizers.get(max_tokens)
            if tok is None:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_str(self._tokenizer_json)
                tok.no_padding()
                tok.enable_truncation(max_length=max_tokens)
                self._tokenizers[max_tokens] = tok
        encodings = tok.encode_batch(texts)
        n = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), n), dtype=np.int64)
        types = np.zeros((len(texts), n), dtype=np.int64)
        mask = np.zeros((len(texts), n), dtype=np.int64)
        offsets = np.zeros((len(texts), n, 2), dtype=np.int64)
        for i, e in enumerate(encodings):
            k = len(e.ids)
            ids[i, :k], types[i, :k], mask[i, :k], offsets[i, :k] = e.ids, e.type_ids, 1, e.offsets
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types, "offsets": offsets}

    def run(self, batch: dict[str, np.ndarray], outputs: list[str]) -> list[np.ndarray]:
        """The encoder graph's outputs for a tokenized batch (the caller holds the lock)."""
        return self.session.run(outputs, {k: v for k, v in batch.items() if k in self._inputs})

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenize(texts, MAX_TOKENS)
        (hidden,) = self.run(batch, [LAST])
        mask = batch["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def check_export(folder: Path, joint_path: Path) -> dict:
    """The export's record, if it was made from these joint weights and the matcher delta shipped
    now; StaleExport otherwise."""
    from nlp.matching import DELTA

    record = folder / MANIFEST
    missing = [f for f in (BRIEF_FILE, REQUEST_FILE, MANIFEST) if not (folder / f).exists()]
    if missing:
        raise StaleExport(
            f"the ONNX export in {folder} has no joint reader graphs (missing {', '.join(missing)}; "
            f"an older or unfinished export): {RERUN}"
        )
    manifest = json.loads(record.read_text())
    if manifest["joint"]["sha256"] != file_digest(joint_path):
        raise StaleExport(
            f"the ONNX export in {folder} was made from other joint reader weights than {joint_path} "
            f"(they changed since): {RERUN}"
        )
    if manifest["matcher_delta"]["sha256"] != file_digest(DELTA):
        raise StaleExport(f"the ONNX export in {folder} was made from another matcher delta than {DELTA}: {RERUN}")
    return manifest


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class OnnxJointReader:
    """Same interface as nlp.joint.JointReader, on the graphs exported from it: one run of the
    encoder's graph over a request gives its lower states and its asks' vectors, the brief's side is
    computed once per brief and cached, and a message costs one run of joint_request.onnx. It shares
    the encoder's session, tokenizer and lock."""

    def __init__(self, encoder: OnnxEncoder, path: str | Path | None = None, brief_cache: int = 128):
        path = Path(path) if path else WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"joint reader weights not found: {path} (run python -m nlp.train)")
        folder = Path(encoder.path)
        manifest = check_export(folder, path)
        if LOWER not in encoder.outputs:
            raise StaleExport(f"the ONNX encoder in {folder} does not give the lower layers' states: {RERUN}")
        data = np.load(path, allow_pickle=False)
        self.split = int(data["split"])
        self.kinds = [str(k) for k in data["kinds"]]
        a, b = (float(x) for x in data["calibration"])
        self.calibration: tuple[float, float] = (a, b)
        if manifest["split"] != self.split or manifest["kinds"] != self.kinds:  # pragma: no cover - same file
            raise StaleExport(f"the ONNX export in {folder} was made for another reader: {RERUN}")
        self.encoder = encoder
        self.model_lock = encoder._lock  # one call at a time on two cores, shared with the encoder
        self.brief_session = encoder.open(folder / BRIEF_FILE)
        self.request_session = encoder.open(folder / REQUEST_FILE)
        self._sides = BriefSides(brief_cache)

    def _batches(self, texts: list[str], max_tokens: int, outputs: list[str]):
        """(indices, tokenized batch, outputs) over length-sorted batches of the encoder's graph."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            batch = self.encoder.tokenize([texts[i] for i in idx], max_tokens)
            with self.model_lock:
                found = self.encoder.run(batch, outputs)
            yield idx, batch, found

    def read(self, requests: list[str], spans: list[list[tuple[int, int]]]) -> list[RequestRead]:
        """One run of the encoder's graph per batch of requests (nlp.joint.read_requests)."""
        result: dict[int, RequestRead] = {}
        for idx, batch, (top, lower) in self._batches(requests, MAX_REQUEST_TOKENS, [LAST, LOWER]):
            for j, i in enumerate(idx):
                n = int(batch["attention_mask"][j].sum())
                offsets = batch["offsets"][j, :n].tolist()
                result[i] = RequestRead(
                    np.ascontiguousarray(lower[j, :n], dtype=np.float32),
                    ask_vectors(top[j, :n], offsets, spans[i], len(requests[i])),
                )
        return [result[i] for i in range(len(requests))]

    def sides(self, briefs: list[str]) -> list[BriefSide]:
        """Each brief's side, computed once and cached (a brief is read by every message against it)."""

        def compute(missing: list[str]) -> list[BriefSide]:
            found: dict[int, BriefSide] = {}
            for idx, batch, (lower,) in self._batches(missing, MAX_BRIEF_TOKENS, [LOWER]):
                mb = batch["attention_mask"]
                with self.model_lock:
                    *kv, pooled = self.brief_session.run(None, {"hb": lower, "mb": mb})
                for j, i in enumerate(idx):
                    n = int(mb[j].sum())
                    pairs = [
                        (kv[2 * k][j : j + 1, :, :n].copy(), kv[2 * k + 1][j : j + 1, :, :n].copy())
                        for k in range(len(kv) // 2)
                    ]
                    found[i] = BriefSide(pairs, pooled[j : j + 1].copy())
            return [found[i] for i in range(len(missing))]

        return self._sides.get_all(briefs, compute)

    def probs(self, briefs: list[str], requests: list[RequestRead]) -> np.ndarray:
        """One row of kind probabilities per (brief, request read) pair."""
        sides = self.sides(briefs)
        hr = [r.states for r in requests]
        out = np.zeros((len(briefs), len(self.kinds)), dtype=np.float32)
        order = sorted(range(len(briefs)), key=lambda i: len(hr[i]))
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            r, mr = pad_arrays([hr[i] for i in idx])
            kv, mb, pooled = pad_sides([sides[i] for i in idx])
            feed = {"hr": r, "mr": mr, "mb": mb, "pooled": pooled}
            feed |= {f"{part}{k}": kv[2 * k + (part == "v")] for k in range(len(kv) // 2) for part in ("k", "v")}
            with self.model_lock:
                (logits,) = self.request_session.run(None, feed)
            out[idx] = softmax(logits)
        return out

    def clear_cache(self) -> None:
        self._sides.clear()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlp.onnx_export", description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEFAULT_DIR))
    ap.add_argument("--model-path", default=None)
    ap.add_argument("--weights", default=None, help="the joint reader's weights (default: the shipped ones)")
    args = ap.parse_args(argv)
    print(f"wrote {export(args.out, args.model_path, joint_path=args.weights)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
