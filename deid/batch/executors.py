"""Where the cases of a batch run: the three executors behind one small interface.

``submit(fn, *args)`` returns a future, ``wait_any(pending)`` returns ``(done,
not_done)``, ``close()`` ends it. The runner (:mod:`deid.batch.runner`) keeps the case
loop and does not care which one it drives:

* :class:`InlineExecutor`: this process (``--workers 1``);
* :class:`PoolExecutor`: a spawned process pool (``--workers N``), each worker warming
  its engines once (:mod:`deid.runtime`); :class:`ThreadExecutor`, threads waiting on a
  gRPC server (``--server``);
* :class:`DaskExecutor`: an existing dask.distributed cluster (``--dask ADDRESS``).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

from deid.runtime import warm_engines


class InlineExecutor:
    """Runs tasks in this process (``--workers 1``): no pickling, engines warmed once."""

    def __init__(self, policy_data: dict[str, Any]) -> None:
        warm_engines(policy_data)

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        fut: cf.Future[Any] = cf.Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future
            fut.set_exception(exc)
        return fut

    def wait_any(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        return set(pending), set()

    def close(self) -> None:
        pass


_ONE_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class PoolExecutor:
    """A process pool; each worker warms the engines once (initializer)."""

    def __init__(self, workers: int, policy_data: dict[str, Any] | None = None) -> None:
        self.workers = workers
        self.policy_data = policy_data
        self._new()

    def _new(self) -> None:
        # One BLAS/OpenMP thread per worker process, as Dask's nanny does: N processes
        # each starting N math threads oversubscribe the cores (measured: slower than 1
        # worker). Spawned children inherit the environment at start.
        for var in _ONE_THREAD_ENV:
            os.environ.setdefault(var, "1")
        # spawn: the parent may run threads (progress bar), and fork + threads can deadlock.
        ctx = multiprocessing.get_context("spawn")
        self.pool = cf.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=warm_engines,
                                            initargs=(self.policy_data,))

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        try:
            return self.pool.submit(fn, *args)
        except cf.process.BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self._new()
            return self.pool.submit(fn, *args)

    def wait_any(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        done, not_done = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        return set(done), set(not_done)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class ThreadExecutor(PoolExecutor):
    """Threads waiting on a gRPC server (``--server``): no local engines are loaded."""

    def _new(self) -> None:
        self.pool = cf.ThreadPoolExecutor(self.workers)  # type: ignore[assignment]


class DaskExecutor:
    """An existing dask.distributed cluster. Workers warm engines once (a WorkerPlugin)."""

    def __init__(self, address: str, policy_data: dict[str, Any]) -> None:
        from distributed import Client

        from deid.batch.dask_plugin import WarmEngines

        self.client = Client(address)
        self.client.register_plugin(WarmEngines(policy_data), name="deid-warm-engines")

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_any(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        from distributed import wait

        res = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(res.done), set(res.not_done)

    def close(self) -> None:
        self.client.close()


# Memory one local worker process may take: the OCR engine (~0.3 GB), a series book
# (<= 96 MB, deid.batch.worker), a chunk of inputs and outputs, the NLP engine when a
# case has text (~0.5 GB). Auto never starts more workers than this fits in the
# memory available now.
WORKER_MEMORY_BYTES = 1 << 30


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity mask (a cpuset or taskset's limit) and
    its cgroup's CPU quota (``docker --cpus``, a Kubernetes CPU limit), not the machine's
    count."""
    try:
        n = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        n = max(1, os.cpu_count() or 1)
    quota = _cgroup_cpus()
    return max(1, min(n, quota)) if quota is not None else n


# A container's limits: /proc/meminfo and the affinity mask show the host's.
_PROC_CGROUP = "/proc/self/cgroup"
_CGROUP_FS = "/sys/fs/cgroup"


def _cgroup_dirs(controller: str) -> list[tuple[str, bool]]:
    """(folder, is_v2) of this process's cgroup for ``controller`` and of its ancestors."""
    try:
        with open(_PROC_CGROUP, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    out: list[tuple[str, bool]] = []
    for line in lines:
        hid, _, rest = line.partition(":")
        ctrls, _, path = rest.partition(":")
        if hid == "0" and not ctrls:
            base, v2 = _CGROUP_FS, True
        elif controller in ctrls.split(","):
            base, v2 = os.path.join(_CGROUP_FS, ctrls), False
        else:
            continue
        parts = [p for p in path.split("/") if p]
        out += [(os.path.join(base, *parts[:k]), v2) for k in range(len(parts), -1, -1)]
    return out


def _read_ints(folder: str, *names: str) -> list[int] | None:
    try:
        vals = []
        for name in names:
            with open(os.path.join(folder, name), encoding="ascii") as fh:
                vals.append(int(fh.read().split()[0]))
        return vals
    except (OSError, ValueError, IndexError):  # absent, or "max": no limit there
        return None


def _cgroup_cpus() -> int | None:
    """The tightest CPU quota of this process's cgroups, rounded up; None if none."""
    best: int | None = None
    for folder, v2 in _cgroup_dirs("cpu"):
        vals: list[int] | None
        if v2:
            try:  # "<quota> <period>", or "max <period>": no quota there
                with open(os.path.join(folder, "cpu.max"), encoding="ascii") as fh:
                    vals = [int(v) for v in fh.read().split()[:2]]
            except (OSError, ValueError):
                vals = None
        else:
            vals = _read_ints(folder, "cpu.cfs_quota_us", "cpu.cfs_period_us")
        if vals and len(vals) == 2 and vals[0] > 0 and vals[1] > 0:
            n = -(-vals[0] // vals[1])
            best = n if best is None else min(best, n)
    return best


def _cgroup_memory() -> int | None:
    """Memory left under the tightest memory limit of this process's cgroups; None if none."""
    best: int | None = None
    for folder, v2 in _cgroup_dirs("memory"):
        names = ("memory.max", "memory.current") if v2 else ("memory.limit_in_bytes", "memory.usage_in_bytes")
        vals = _read_ints(folder, *names)
        if vals and vals[0] < (1 << 60):  # v1 writes "no limit" as ~2**63
            left = max(0, vals[0] - vals[1])
            best = left if best is None else min(best, left)
    return best


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _available_memory() -> int | None:
    """Memory available now: the host's, and what this process's cgroup limit leaves."""
    found = [m for m in (_meminfo_available(), _cgroup_memory()) if m is not None]
    return min(found) if found else None


# Auto gives each worker at least this many inputs. A worker costs ~1.5 s of CPU to start
# (imports, OCR engine) and reads the first slices of every series it meets in full
# (~0.5 s each on a 512x512 CT slice, 4 per series on the CT phantom): measured on the
# 200-slice phantom given as loose files, 2 workers took 9.9 s CPU and 7.7 s wall against
# 5.2 s CPU and 5.7 s wall in one process (2 shared CPUs). Below a few hundred inputs per
# worker a second process costs more than it saves; --workers N overrides.
MIN_INPUTS_PER_WORKER = 128


def auto_workers(tasks: int | None = None, inputs: int | None = None) -> int:
    """``--workers auto``: one worker per usable CPU, no more than the memory available
    holds (:data:`WORKER_MEMORY_BYTES` each), than there are tasks (cases) to run, or
    than gives each worker :data:`MIN_INPUTS_PER_WORKER` inputs."""
    n = usable_cpus()
    mem = _available_memory()
    if mem is not None:
        n = min(n, max(1, mem // WORKER_MEMORY_BYTES))
    if tasks is not None:
        n = min(n, max(1, tasks))
    if inputs is not None:
        n = min(n, max(1, inputs // MIN_INPUTS_PER_WORKER))
    return max(1, n)


def make_executor(
    policy_data: dict[str, Any], *, workers: int = 1, dask: str | None = None, server: str | None = None
) -> Any:
    """The executor for a run: threads for ``server``, Dask for ``dask``, else processes."""
    if server:  # the server does the work; threads only keep it busy
        return ThreadExecutor(max(1, workers))
    if dask:
        return DaskExecutor(dask, policy_data)
    if workers <= 1:
        return InlineExecutor(policy_data)
    return PoolExecutor(workers, policy_data)
