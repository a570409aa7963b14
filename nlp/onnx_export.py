"""Optional ONNX Runtime backend: the same sentence vectors about twice as fast on CPU and a
much quicker start. The transformers encoder stays the reference; an export is accepted only
if its vectors match it (cosine >= 0.999).

    python -m nlp.onnx_export [--out DIR] [--model-path DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np

from nlp.model import MAX_TOKENS, CachedEncoder, ModelNotFound, _offline_env, default_model_path

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "var" / "onnx-minilm"  # 90 MB: not shipped
ONNX_FILE = "model.onnx"
CHECK_TEXTS = [
    "Could you also design our business cards?",
    "8 product pictures of handmade soaps for our Instagram feed, square 1080x1080 JPG.",
    "Hi",
    "The file you sent is 720p and the kitchen part still looks super orange, could you fix the "
    "colour and re-export it please? Thanks a lot, we really love the rest of the video.",
]


def export(out_dir: str | Path = DEFAULT_DIR, model_path: str | None = None, check: bool = True) -> Path:
    """Export the transformer to ONNX (opset 17) next to its tokenizer; verify against torch."""
    _offline_env()
    import torch
    from transformers import AutoModel, AutoTokenizer

    src = Path(model_path or default_model_path())
    if not (src / "config.json").exists():
        raise ModelNotFound(f"model folder not found or incomplete: {src}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(str(src))
    # eager attention exports as plain ops that ONNX Runtime can fuse into its Attention kernel
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()
    from nlp.matching import apply_delta

    apply_delta(model)  # the fine-tuned matching layer, as the torch backend loads it
    sample = tok(["a short sentence", "a somewhat longer sentence to export"], padding=True, return_tensors="pt")

    class Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    axes = {
        "input_ids": {0: "batch", 1: "seq"},
        "attention_mask": {0: "batch", 1: "seq"},
        "token_type_ids": {0: "batch", 1: "seq"},
        "last_hidden_state": {0: "batch", 1: "seq"},
    }
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes the dynamic axes already cover
        torch.onnx.export(
            Hidden(model),
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(out / ONNX_FILE),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    _fuse(out / ONNX_FILE, model.config)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json", "config.json"):
        if (src / name).exists():
            shutil.copy(src / name, out / name)
    if check:
        from nlp.model import Encoder

        ref = Encoder(str(src)).embed(CHECK_TEXTS)
        got = OnnxEncoder(str(out)).embed(CHECK_TEXTS)
        cos = (ref * got).sum(1)
        if cos.min() < 0.999:
            raise RuntimeError(f"ONNX vectors differ from the reference (min cosine {cos.min():.4f})")
    return out


def _fuse(path: Path, config) -> None:
    """BERT graph fusion (attention, GELU, layer norms): about half the CPU time of the raw graph."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(path), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size, opt_level=1
    )
    fused.save_model_to_file(str(path))


class OnnxEncoder(CachedEncoder):
    """Same interface as nlp.model.Encoder, running an exported graph on ONNX Runtime."""

    def __init__(self, path: str | None = None, threads: int = 2, cache_size: int = 4096):
        super().__init__(cache_size)
        folder = Path(path) if path else DEFAULT_DIR
        if not (folder / ONNX_FILE).exists():
            raise ModelNotFound(f"no ONNX model in {folder} (run: mediator model export-onnx)")
        _offline_env()
        import onnxruntime as ort
        from transformers import AutoTokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = str(folder)
        self.session = ort.InferenceSession(str(folder / ONNX_FILE), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self._inputs = {i.name for i in self.session.get_inputs()}

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="np")
        feed = {k: v.astype(np.int64) for k, v in batch.items() if k in self._inputs}
        hidden = self.session.run(None, feed)[0]
        mask = batch["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlp.onnx_export", description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEFAULT_DIR))
    ap.add_argument("--model-path", default=None)
    args = ap.parse_args(argv)
    print(f"wrote {export(args.out, args.model_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
