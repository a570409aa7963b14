"""The scope classifier as a shared service: loaded once per process, on first use or in the
background at start-up, so the first chat message does not pay the model's load time twice."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("mediator.nlp")


class ScopeService:
    def __init__(self, model_path: str = "", backend: str = "torch", onnx_path: str = ""):
        self.model_path = model_path or None
        self.backend = backend
        self.onnx_path = onnx_path or None
        self._classifier = None
        self._lock = threading.Lock()
        self._failed = False

    @property
    def state(self) -> str:
        """loaded | loading | failed | not loaded (for health checks)."""
        if self._classifier is not None:
            return "loaded"
        if self._lock.locked():
            return "loading"
        return "failed" if self._failed else "not loaded"

    def classifier(self):
        with self._lock:
            if self._classifier is None:
                from .scope import load_classifier

                self._classifier = load_classifier(self.model_path, backend=self.backend, onnx_path=self.onnx_path)
            return self._classifier

    def preload(self) -> threading.Thread:
        """Load in the background; a failure is logged once here and raised again on first use."""

        def load() -> None:
            try:
                self.classifier()
            except Exception as exc:
                self._failed = True
                log.warning("the scope model could not be loaded: %s", exc)

        thread = threading.Thread(target=load, name="scope-model-load", daemon=True)
        thread.start()
        return thread

    def check(self, brief: str, request: str):
        return self.classifier().check(brief, request)
