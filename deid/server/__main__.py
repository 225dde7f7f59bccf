"""``python -m deid.server [flags]`` (and ``deid serve [flags]``): run the gRPC service.

Exit status: 0 after a clean shutdown (SIGTERM / SIGINT), 2 for a configuration that
must not start (no key, insecure non-loopback address, bad TLS files), 1 when the
engines cannot be loaded.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading

from deid.core.errors import DeidError


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({
            "ts": self.formatTime(record), "level": record.levelname, "logger": record.name,
            "msg": record.getMessage(),
        })


def _setup_logging(level: str, as_json: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if as_json:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    from deid.core.logconfig import hold_third_party_loggers

    hold_third_party_loggers()  # whatever `level` is: libraries may log values at DEBUG


def main(argv: list[str] | None = None) -> int:
    """Run the server until SIGTERM/SIGINT; returns the process exit status."""
    from deid.server.config import load_config

    try:
        cfg = load_config(argv)
    except DeidError as exc:
        print(f"deid serve: {exc.message}", file=sys.stderr)
        return 2
    _setup_logging(cfg.log_level.upper(), cfg.log_json)
    log = logging.getLogger("server")

    try:
        from deid.server.app import build_server

        srv = build_server(cfg)
    except DeidError as exc:
        log.error("cannot start: %s (reason: %s)", exc.message, exc.reason)
        return 2
    except OSError as exc:
        log.error("cannot start: %s", type(exc).__name__)
        return 2

    stop = threading.Event()
    signalled = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s", signal.Signals(signum).name)
        signalled.set()
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        srv.start(warm=False)
    except (OSError, RuntimeError, DeidError) as exc:
        log.error("cannot start: %s", exc if isinstance(exc, OSError) else type(exc).__name__)
        srv.stop(0)
        return 2
    # Warm in a thread so that SIGTERM during a slow warm-up still stops us promptly.
    failed: list[BaseException] = []

    def warm() -> None:
        try:
            srv.warm()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(exc)
            stop.set()

    threading.Thread(target=warm, name="warm-up", daemon=True).start()
    while not stop.wait(0.5):
        pass
    srv.stop()
    if failed and not signalled.is_set():  # a warm-up cut short by SIGTERM is no failure
        log.error("cannot load the engines (%s): refusing to serve", type(failed[0]).__name__)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
