"""Load test of the gRPC service on loopback: N concurrent clients for D seconds.

    python -m bench.load                       # 32 clients, 60 s, starts its own server
    python -m bench.load --clients 8 --duration 10 --image-share 0.1
    python -m bench.load --server-args "--text-workers 1 --file-workers 1 --queue-per-worker 4"

Bounded in time (``--duration``) and count (``--max-requests``), loopback only. Starts
``python -m deid.server`` (ephemeral key, a random token) unless ``--address`` names a
loopback server already running (then ``--server-pid`` gives its memory). Clients run in
a few processes (threads inside), each a closed loop: pick ScrubText (a ~150-word
synthetic case post) or a small ScrubImage (320x240 PNG with a label), call, record
status and latency. A ``server_busy`` refusal (RESOURCE_EXHAUSTED: the deliberate
back-pressure) makes that client back off 50-150 ms, as DeidClient does.

Prints requests/s, p50/p99 latency per method (successful calls), error counts by
status and reason, and the server's resident memory (main process + workers): when the
port first answers (before warm-up), when SERVING (engines warm), after a short warm-up
load, and at the end. Numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import io
import json
import multiprocessing
import os
import random
import secrets
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# ---- inputs ---------------------------------------------------------------------------

def make_posts(n: int, seed: int) -> list[str]:
    """~150-word synthetic case posts with names, dates, MRNs, phones (Faker, seeded)."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    body = (
        "presented with a three week history of a slowly enlarging ulcer on the left shin. "
        "There was surrounding erythema and mild tenderness but no fever. Past history includes "
        "type two diabetes and hypertension, on metformin and ramipril. Examination showed a "
        "four centimetre ulcer with a sloughy base and rolled edges. Pedal pulses were palpable. "
        "Swabs were taken and a punch biopsy was sent. Dressings were changed every second day "
        "and compression was started after arterial disease was excluded. Review in clinic "
        "showed healthy granulation tissue and the wound had halved in size at four weeks. "
        "Thoughts on further management welcome. The patient has consented to sharing "
        "these photographs and the history with colleagues for teaching purposes only. "
        "Her daughter noticed the change first and brought her to the walk-in clinic."
    )
    posts = []
    for _ in range(n):
        posts.append(
            f"{fake.name()}, a {random.Random(fake.random_int()).randint(30, 88)}-year-old "
            f"(MRN {fake.random_number(digits=8, fix_len=True)}), seen on {fake.date(pattern='%m/%d/%Y')} "
            f"at {fake.city()} clinic, phone {fake.phone_number()}, {body}"
        )
    return posts


def make_image(label: str) -> bytes:
    import numpy as np
    from PIL import Image, ImageDraw

    y = np.linspace(60, 200, 240, dtype=np.uint8)[:, None]
    arr = np.repeat(np.repeat(y, 320, axis=1)[:, :, None], 3, axis=2)
    img = Image.fromarray(arr)
    ImageDraw.Draw(img).text((12, 12), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# ---- clients --------------------------------------------------------------------------

def run_client_process(address: str, token: str, threads: int, deadline: float, max_requests: int,
                       image_share: float, seed: int) -> list[tuple[str, str, str, float]]:
    """Closed-loop clients in one process; returns (method, status, reason, seconds)."""
    import grpc

    from deid.server._gen.deid.v1 import deid_pb2 as pb2
    from deid.server._gen.deid.v1 import deid_pb2_grpc as pb2_grpc

    posts = make_posts(64, seed)
    images = [make_image(f"Patient {p.split(',')[0]}") for p in posts[:8]]
    metadata = (("authorization", f"Bearer {token}"),)
    records: list[tuple[str, str, str, float]] = []
    lock = threading.Lock()
    budget = [max_requests]

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def loop(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        with grpc.insecure_channel(address) as channel:
            stub = pb2_grpc.DeidStub(channel)
            while time.time() < deadline and take():
                is_image = rng.random() < image_share
                t0 = time.perf_counter()
                reason = ""
                try:
                    if is_image:
                        data = rng.choice(images)
                        reqs = iter([pb2.FileRequest(metadata=pb2.FileMetadata(output_format="PNG", size=len(data))),
                                     pb2.FileRequest(data=data)])
                        for _ in stub.ScrubImage(reqs, metadata=metadata, timeout=30):
                            pass
                    else:
                        stub.ScrubText(pb2.ScrubTextRequest(text=rng.choice(posts)), metadata=metadata, timeout=30)
                    status = "OK"
                except grpc.RpcError as err:
                    status = err.code().name
                    reason = dict(err.trailing_metadata() or ()).get("deid-reason", "")
                dt = time.perf_counter() - t0
                with lock:
                    records.append(("ScrubImage" if is_image else "ScrubText", status, reason, dt))
                if status == "RESOURCE_EXHAUSTED":
                    time.sleep(0.05 + rng.random() * 0.1)

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return records


# ---- server and memory ----------------------------------------------------------------

def _children(pid: int) -> list[int]:
    kids: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            kids[ppid].append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    total = 0
    for p in _children(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(address: str) -> str:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        with grpc.insecure_channel(address) as ch:
            resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=2)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
    except grpc.RpcError:
        return "DOWN"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--max-requests", type=int, default=200_000)
    ap.add_argument("--image-share", type=float, default=0.1, help="fraction of calls that are ScrubImage")
    ap.add_argument("--client-processes", type=int, default=4)
    ap.add_argument("--warmup-seconds", type=float, default=5.0)
    ap.add_argument("--address", help="a running loopback server (else one is started)")
    ap.add_argument("--server-pid", type=int, help="its pid, for memory figures")
    ap.add_argument("--token", default=os.environ.get("DEID_BENCH_TOKEN", ""))
    ap.add_argument("--server-args", default="", help="extra flags for python -m deid.server")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "scripts"))
    import gen_protos

    if gen_protos.generate() != 0:
        return 1
    from deid.server.config import is_loopback

    proc = None
    mem: dict[str, float] = {}
    token = args.token or secrets.token_urlsafe(16)
    if args.address:
        if not is_loopback(args.address):
            print("load: loopback addresses only", file=sys.stderr)
            return 2
        address, pid = args.address, args.server_pid
    else:
        port = _free_port()
        address = f"127.0.0.1:{port}"
        env = dict(os.environ, DEID_SERVER_TOKENS=token)
        cmd = [sys.executable, "-m", "deid.server", "--port", str(port), "--ephemeral-key", "--log-level", "WARNING",
               *shlex.split(args.server_args)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        pid = proc.pid
        t0 = time.monotonic()
        while _health(address) == "DOWN":
            if proc.poll() is not None or time.monotonic() - t0 > 120:
                print("load: the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.05)
        mem["rss_before_warmup_mib"] = rss_mib(pid)
        while _health(address) != "SERVING":
            if proc.poll() is not None or time.monotonic() - t0 > 300:
                print("load: the server did not turn SERVING", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(f"load: server SERVING after {time.monotonic() - t0:.1f} s")
    try:
        if pid:
            mem["rss_serving_mib"] = rss_mib(pid)
        ctx = multiprocessing.get_context("spawn")
        nproc = max(1, min(args.client_processes, args.clients))
        per = [args.clients // nproc + (1 if i < args.clients % nproc else 0) for i in range(nproc)]
        with cf.ProcessPoolExecutor(nproc, mp_context=ctx) as ex:
            if args.warmup_seconds > 0:
                end = time.time() + args.warmup_seconds
                list(ex.map(run_client_process, [address] * nproc, [token] * nproc, per, [end] * nproc,
                            [10_000] * nproc, [args.image_share] * nproc, range(100, 100 + nproc)))
                if pid:
                    mem["rss_after_warmup_load_mib"] = rss_mib(pid)
            t_start = time.time()
            end = t_start + args.duration
            futures = [ex.submit(run_client_process, address, token, per[i], end,
                                 max(1, args.max_requests // nproc), args.image_share, i + 1)
                       for i in range(nproc)]
            records = [r for f in futures for r in f.result()]
            elapsed = time.time() - t_start
        if pid:
            mem["rss_end_mib"] = rss_mib(pid)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()

    ok = [r for r in records if r[1] == "OK"]
    by_status = {f"{s}{'/' + r if r else ''}": n for (s, r), n in sorted(Counter((r[1], r[2]) for r in records).items())}
    methods: dict[str, dict[str, float]] = {}
    for method in ("ScrubText", "ScrubImage"):
        lat = [r[3] for r in ok if r[0] == method]
        methods[method] = {
            "ok": len(lat), "per_s": round(len(lat) / elapsed, 1),
            "p50_ms": round(percentile(lat, 0.50) * 1000, 1), "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
        }
    errors = sum(n for k, n in by_status.items() if not k.startswith(("OK", "RESOURCE_EXHAUSTED/server_busy")))
    result: dict[str, object] = {
        "clients": args.clients, "duration_s": round(elapsed, 1), "cpus": os.cpu_count(),
        "requests": len(records), "ok": len(ok),
        "ok_per_s": round(len(ok) / elapsed, 1), "attempts_per_s": round(len(records) / elapsed, 1),
        "by_status": by_status, "methods": methods, "errors_other_than_back_pressure": errors,
        "memory_mib": {k: round(v, 1) for k, v in mem.items()},
    }
    # Growth is measured from after the warm-up load (first calls allocate caches and
    # buffers once); the figure right after the engines loaded is printed too.
    base = mem.get("rss_after_warmup_load_mib") or mem.get("rss_serving_mib")
    if base and "rss_end_mib" in mem:
        result["memory_growth_pct"] = round(100 * (mem["rss_end_mib"] - base) / base, 1)
    if mem.get("rss_serving_mib") and "rss_end_mib" in mem:
        result["memory_growth_since_serving_pct"] = round(
            100 * (mem["rss_end_mib"] - mem["rss_serving_mib"]) / mem["rss_serving_mib"], 1)

    print(f"\nclients={args.clients} duration={elapsed:.1f}s cpus={os.cpu_count()} address={address}")
    print(f"requests: {len(records)} attempts ({result['attempts_per_s']}/s), {len(ok)} OK ({result['ok_per_s']}/s)")
    for method, m in methods.items():
        print(f"  {method:<11} ok={m['ok']:<6} {m['per_s']:>6}/s  p50={m['p50_ms']:>7} ms  p99={m['p99_ms']:>7} ms")
    print("status counts:")
    for k, v in by_status.items():
        print(f"  {k:<40} {v}")
    print(f"errors other than back-pressure: {errors}")
    if mem:
        print("server RSS (main + workers), MiB: " + ", ".join(f"{k.removeprefix('rss_').removesuffix('_mib')}={v:.0f}"
                                                       for k, v in mem.items()))
    if "memory_growth_pct" in result:
        print(f"memory growth after the warm-up load: {result['memory_growth_pct']} % "
              f"(since SERVING: {result.get('memory_growth_since_serving_pct', 'n/a')} %)")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
