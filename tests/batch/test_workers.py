"""``--workers auto`` and how a run is cut into chunks for the workers."""

from __future__ import annotations

import os

import pytest

from deid.batch import executors
from deid.batch.runner import CHUNK_INPUTS, CHUNK_INPUTS_POOL, BatchOptions, _chunks
from deid.batch.sources import CaseSpec
from deid.cli.main import build_parser


def _cases(n: int, size: int = 1) -> list[CaseSpec]:
    return [CaseSpec(key=f"c{i:04d}", inputs=[f"c{i:04d}/{j}.dcm" for j in range(size)]) for i in range(n)]


def _sizes(todo: list[CaseSpec], workers: int) -> list[int]:
    return [sum(len(c.inputs) for c in chunk) for chunk in _chunks(todo, BatchOptions(workers=workers))]


def test_one_process_takes_chunks_of_at_most_32_inputs_in_order():
    todo = _cases(200)
    chunks = list(_chunks(todo, BatchOptions(workers=1)))
    assert max(len(c) for c in chunks) <= CHUNK_INPUTS
    assert [c.key for chunk in chunks for c in chunk] == [c.key for c in todo]


def test_several_workers_get_one_contiguous_share_each_of_a_loose_series():
    # 100 loose slices of one series, 2 workers: two shares of 50 consecutive slices, so
    # each worker's series memory reads its share in order (not a jump every 25 slices).
    todo = _cases(100)
    chunks = list(_chunks(todo, BatchOptions(workers=2)))
    assert [len(c) for c in chunks] == [50, 50]
    assert [c.key for chunk in chunks for c in chunk] == [c.key for c in todo]
    # Large runs are still cut into bounded chunks.
    assert max(_sizes(_cases(5000), 4)) == CHUNK_INPUTS_POOL


def test_a_case_is_never_split_across_chunks():
    todo = _cases(3, size=150)  # three series, one folder each
    assert _sizes(todo, 2) == [150, 150, 150]


def test_auto_is_bounded_by_cpus_memory_and_cases(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(8)), raising=False)
    monkeypatch.setattr(executors, "_available_memory", lambda: 64 << 30)
    monkeypatch.setattr(executors, "_PROC_CGROUP", "/nonexistent/cgroup")  # no container quota
    assert executors.usable_cpus() == 8
    assert executors.auto_workers() == 8
    assert executors.auto_workers(3) == 3  # no more processes than cases
    assert executors.auto_workers(0) == 1
    # each worker gets MIN_INPUTS_PER_WORKER inputs: a 200-slice series stays in one process
    per = executors.MIN_INPUTS_PER_WORKER
    assert executors.auto_workers(200, 200) == 200 // per
    assert executors.auto_workers(5000, 5000) == 8 and executors.auto_workers(5000, 3 * per) == 3
    monkeypatch.setattr(executors, "_available_memory", lambda: 3 * executors.WORKER_MEMORY_BYTES + 1)
    assert executors.auto_workers(100) == 3  # what the memory holds
    monkeypatch.setattr(executors, "_available_memory", lambda: 1 << 20)
    assert executors.auto_workers(100) == 1


def test_cli_workers_defaults_to_auto_and_takes_a_count():
    parser = build_parser()
    assert parser.parse_args(["scrub", "a", "b"]).workers == 0  # auto, resolved by the runner
    assert parser.parse_args(["scrub", "a", "b", "--workers", "auto"]).workers == 0
    assert parser.parse_args(["scrub", "a", "b", "--workers", "3"]).workers == 3
    for bad in ("0", "-1", "many"):
        with pytest.raises(SystemExit):
            parser.parse_args(["scrub", "a", "b", "--workers", bad])


def test_auto_runs_a_single_case_in_this_process(tmp_path, monkeypatch):
    from deid.batch.runner import run_batch
    from deid.core.policy import Policy
    from tests.support.ct_series import ct_dicom, ct_slice

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(4)), raising=False)
    src = tmp_path / "src" / "series"
    src.mkdir(parents=True)
    for i in range(3):
        (src / f"{i}.dcm").write_bytes(ct_dicom(ct_slice(i, 64, seed=3), i))
    policy = Policy.from_dict({"dicom": {"clean_pixels": "never"}})
    summary = run_batch(tmp_path / "src", tmp_path / "out", BatchOptions(policy=policy, key=b"k" * 32, workers=0))
    assert summary.scrubbed == 3 and summary.workers == 1  # one case: no pool is started
    assert summary.to_dict()["workers"] == 1


def _cgroup(tmp_path, monkeypatch, proc: str, files: dict[str, str]) -> None:
    (tmp_path / "proc_cgroup").write_text(proc)
    for rel, body in files.items():
        (tmp_path / "fs" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / rel).write_text(body)
    monkeypatch.setattr(executors, "_PROC_CGROUP", str(tmp_path / "proc_cgroup"))
    monkeypatch.setattr(executors, "_CGROUP_FS", str(tmp_path / "fs"))
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(16)), raising=False)
    monkeypatch.setattr(executors, "_meminfo_available", lambda: 64 << 30)


def test_auto_counts_a_container_cpu_quota_and_memory_limit_cgroup_v2(tmp_path, monkeypatch):
    # docker --cpus 2 --memory 4g leaves the affinity mask and /proc/meminfo at the host's:
    # without the cgroup limits auto started 16 workers in a 4 GiB container (OOM kills).
    _cgroup(tmp_path, monkeypatch, "0::/job\n", {
        "job/cpu.max": "200000 100000\n", "job/memory.max": str(4 << 30), "job/memory.current": str(1 << 30),
    })
    assert executors.usable_cpus() == 2
    assert executors.auto_workers(1000, 10_000) == 2
    (tmp_path / "fs" / "job" / "cpu.max").write_text("max 100000\n")
    assert executors.usable_cpus() == 16
    assert executors.auto_workers(1000, 10_000) == 3  # 3 GiB left under the limit


def test_auto_counts_a_container_cpu_quota_and_memory_limit_cgroup_v1(tmp_path, monkeypatch):
    _cgroup(tmp_path, monkeypatch, "4:memory:/\n2:cpu,cpuacct:/\n", {
        "cpu,cpuacct/cpu.cfs_quota_us": "150000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
        "memory/memory.limit_in_bytes": str(2 << 30), "memory/memory.usage_in_bytes": str(3 << 29),
    })
    assert executors.usable_cpus() == 2  # 1.5 CPUs of quota: 2 processes
    assert executors.auto_workers(1000, 10_000) == 1  # 0.5 GiB left
