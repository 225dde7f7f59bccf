"""Batch scrubbing of folders and archives of cases: manifest, resume, workers, Dask."""

from deid.batch.manifest import MANIFEST_NAME, Entry, read_manifest
from deid.batch.runner import BatchOptions, BatchSummary, run_batch
from deid.batch.sources import CaseSpec, open_source

__all__ = [
    "MANIFEST_NAME",
    "BatchOptions",
    "BatchSummary",
    "CaseSpec",
    "Entry",
    "open_source",
    "read_manifest",
    "run_batch",
]
