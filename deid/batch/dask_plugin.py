"""Dask worker plugin: load the NLP/OCR/face engines once when a worker starts."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class WarmEngines(WorkerPlugin):
    """Registered by ``deid scrub --dask``; runs on every current and future worker."""

    idempotent = True

    def setup(self, worker: Any) -> None:
        from deid.batch.worker import warm_engines

        warm_engines()
