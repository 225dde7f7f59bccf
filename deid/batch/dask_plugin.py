"""Dask worker plugin: load the NLP/OCR/face engines once when a worker starts."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class WarmEngines(WorkerPlugin):
    """Registered by ``deid scrub --dask``; runs on every current and future worker."""

    idempotent = True

    def __init__(self, policy_data: dict[str, Any] | None = None) -> None:
        self.policy_data = policy_data

    def setup(self, worker: Any) -> None:
        from deid.runtime import warm_engines

        # Cluster workers are long-lived: load every engine once, up front.
        warm_engines(self.policy_data, ("text", "image"))
