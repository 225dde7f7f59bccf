"""`--dask`: the same run on a real dask.distributed LocalCluster (two worker processes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deid.batch.manifest import read_manifest
from deid.batch.runner import BatchOptions, run_batch

KEY = b"dask-test-key-0123456789abcdef!!"


def _cases(root: Path, n: int) -> Path:
    for i in range(n):
        d = root / f"PATIENT_OSWIN_FARTHING_{i}"
        d.mkdir(parents=True)
        (d / "note.txt").write_text(f"Oswin Farthing (MRN 88{i:05d}) seen on 03/04/2024 for a rash.\n")
        (d / "plan.txt").write_text("Plan: topical steroid, review in two weeks.\n")
    return root


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        worker_dashboard_address=None,
    ) as c:
        yield c


def test_dask_run_matches_local_run_and_resumes(tmp_path: Path, cluster):
    src = _cases(tmp_path / "src", 4)
    local = run_batch(src, tmp_path / "local", BatchOptions(key=KEY))
    on_dask = run_batch(src, tmp_path / "dask", BatchOptions(key=KEY, dask=cluster.scheduler_address))
    assert on_dask.scrubbed == local.scrubbed == 8 and on_dask.withheld == 0
    assert local.workers == 1 and on_dask.workers == 0  # no local worker processes on Dask
    a = {p.relative_to(tmp_path / "local"): p.read_bytes() for p in (tmp_path / "local").rglob("*") if p.is_file()}
    b = {p.relative_to(tmp_path / "dask"): p.read_bytes() for p in (tmp_path / "dask").rglob("*") if p.is_file()}
    assert a == b  # same key -> same output names, same content, same manifest
    manifest = read_manifest(tmp_path / "dask" / "manifest.jsonl")
    assert sorted(manifest) == sorted(p.relative_to(src).as_posix() for p in src.rglob("*.txt"))
    again = run_batch(src, tmp_path / "dask", BatchOptions(key=KEY, dask=cluster.scheduler_address, resume=True))
    assert again.cases_done == 0 and again.cases_resumed == 4


def test_workers_warmed_their_engines_once(cluster):
    from distributed import Client

    from deid.batch.dask_plugin import WarmEngines

    with Client(cluster.scheduler_address) as client:
        client.register_plugin(WarmEngines(), name="deid-warm-engines")

        def warmed() -> bool:
            from deid import runtime

            return runtime.is_warm()

        assert all(client.run(warmed).values())
