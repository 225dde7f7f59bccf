"""``deid``: the command line.

    deid scrub SRC DST [--policy FILE] [--key-file FILE | --ephemeral-key] [--workers N|auto]
                       [--resume] [--dry-run] [--report FILE] [--dask ADDRESS] [--quiet|--json]
    deid inspect FILE...      what would be found (kinds and counts), nothing written
    deid verify DST           re-detect on the outputs; non-zero if anything readable remains
    deid serve ...            the gRPC service (arguments forwarded to ``python -m deid.server``)

The key comes from ``--key-file``, ``$DEID_KEY`` or ``$DEID_KEY_FILE``, never from the
command line; without one the command refuses to run unless ``--ephemeral-key`` is given.

Exit codes (stable, for scripts):
    0  every input scrubbed (or skipped as a system file / already done)
    1  the run could not complete (an unexpected error)
    2  usage or configuration error (bad arguments, no key, bad policy, missing source)
    3  completed, but some inputs were withheld (see the manifest for which and why)
    4  ``deid verify`` found identifiers still readable in the outputs
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

# Presidio's e-mail recognizer would otherwise reach for the network (see ENVIRONMENT.md).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_WITHHELD = 3
EXIT_RESIDUAL = 4

log = logging.getLogger("deid.cli")


def _common(p: argparse.ArgumentParser, *, scrub: bool = False) -> None:
    p.add_argument("--policy", metavar="FILE", help="policy YAML (unknown keys are an error)")
    if scrub:  # progress goes to stderr: --json and --quiet combine (JSON summary only)
        p.add_argument("--quiet", "-q", action="store_true",
                       help="no progress: print only the summary (and errors)")
        p.add_argument("--json", action="store_true",
                       help="print the summary as JSON on stdout (progress stays on stderr)")
    else:
        out = p.add_mutually_exclusive_group()
        out.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
        out.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--verbose", "-v", action="store_true", help="log more (kinds and counts, never content)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deid", description="Offline, fail-closed PHI de-identification of medical cases.",
        allow_abbrev=False,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "scrub", help="scrub a file, a folder of cases or an archive", allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "key: --key-file FILE, or $DEID_KEY / $DEID_KEY_FILE (never on the command line);\n"
            "     without one the command refuses to run unless --ephemeral-key is given.\n"
            "DST/manifest.jsonl maps inputs to outputs: an operator record, never publish it.\n"
            "progress (stderr): a live bar on a terminal; otherwise a line at every 10%% of\n"
            "     the files and at least every 10 s (counts, rates, times; never names).\n"
            "exit codes: 0 all scrubbed, 1 error, 2 usage/config (e.g. no key),\n"
            "            3 completed with withheld inputs (see the manifest)."
        ),
    )
    s.add_argument("src", help="file, folder of cases (one sub-folder per case), .zip, .tar or .tar.gz")
    s.add_argument("dst", help="output folder, or a .zip / .tar / .tar.gz to create")
    s.add_argument("--key-file", metavar="FILE", help="file holding the secret pseudonymisation key")
    s.add_argument("--ephemeral-key", action="store_true",
                   help="use a random throw-away key (pseudonyms differ on every run)")
    s.add_argument("--workers", type=_workers, default=0, metavar="N|auto",
                   help="worker processes (default auto: one per usable CPU from the affinity mask, "
                        "at most one per GiB of available memory, one per case and one per 128 "
                        "inputs; a case, e.g. a series in one folder, runs in one process; "
                        "1: everything in this process)")
    s.add_argument("--resume", action="store_true", help="skip cases already done according to the manifest")
    s.add_argument("--single-case", action="store_true",
                   help="treat the whole source as one case (default: one case per sub-folder / top-level file)")
    s.add_argument("--dry-run", action="store_true", help="list what would be done; write nothing")
    s.add_argument("--report", metavar="FILE", help="write an HTML review report (CONTAINS PHI)")
    s.add_argument("--dask", metavar="ADDRESS", help="run on a dask.distributed scheduler (tcp://host:8786)")
    s.add_argument("--server", metavar="ADDRESS",
                   help="scrub through a deid gRPC server (host:port; token from $DEID_TOKEN, "
                        "TLS CA from $DEID_SERVER_CA) instead of locally")
    _common(s, scrub=True)

    i = sub.add_parser("inspect", help="show what would be found in files (one case); write nothing",
                       allow_abbrev=False)
    i.add_argument("files", nargs="+", help="files of one case")
    _common(i)

    v = sub.add_parser("verify", help="re-detect identifiers in scrubbed outputs", allow_abbrev=False)
    v.add_argument("dst", help="output folder (or archive) of a scrub run")
    _common(v)

    sv = sub.add_parser("serve", help="run the gRPC service (arguments go to `python -m deid.server`)",
                        add_help=False)
    sv.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _workers(value: str) -> int:
    """``--workers``: a count of at least 1, or "auto" (0: resolved by the runner)."""
    if value.strip().lower() == "auto":
        return 0
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number or 'auto'") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1 (or 'auto')")
    return n


def _load_policy(path: str | None):  # type: ignore[no-untyped-def]
    from deid.core.policy import DEFAULT_POLICY, Policy

    return Policy.from_yaml(path) if path else DEFAULT_POLICY


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.INFO if verbose else (logging.ERROR if quiet else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from deid.core.logconfig import hold_third_party_loggers

    hold_third_party_loggers()


def cmd_scrub(args: argparse.Namespace) -> int:
    from deid.batch.runner import BatchOptions, run_batch
    from deid.cli.keys import resolve_key
    from deid.cli.output import Reporter

    if args.dask and args.server:
        raise _Usage("--dask and --server cannot be combined")
    if not Path(args.src).exists():
        raise _Usage("the source does not exist")
    key, ephemeral = (b"", False) if args.dry_run and not (args.key_file or args.ephemeral_key) else resolve_key(
        args.key_file, args.ephemeral_key)
    if args.dry_run and not key:
        import secrets

        key = secrets.token_bytes(32)
    if ephemeral and args.resume:
        raise _Usage("--resume needs a stable key (--key-file or $DEID_KEY): an ephemeral key "
                     "names outputs differently on every run")
    policy = _load_policy(args.policy)
    opts = BatchOptions(
        policy=policy, key=key, workers=args.workers, resume=args.resume, dry_run=args.dry_run,
        dask=args.dask, server=args.server, review=bool(args.report) and not args.dry_run,
        report_path=Path(args.report) if args.report and not args.dry_run else None,
        single_case=args.single_case,
    )
    reporter = Reporter(quiet=args.quiet, as_json=args.json)

    def progress(what: str, _done: int, total: int, outcome) -> None:  # type: ignore[no-untyped-def]
        if what == "files":
            reporter.set_files(total)
        elif what == "start":
            reporter.start(total)
        elif outcome is not None:
            reporter.case_done(outcome)

    try:
        summary = run_batch(args.src, args.dst, opts, progress=progress)
    finally:
        reporter.stop()
    reporter.summary(summary.to_dict())
    if summary.withheld:
        return EXIT_WITHHELD
    return EXIT_OK


def cmd_inspect(args: argparse.Namespace) -> int:
    from deid.cli.inspect import inspect_files

    return inspect_files([Path(f) for f in args.files], _load_policy(args.policy), as_json=args.json,
                         quiet=args.quiet)


def cmd_verify(args: argparse.Namespace) -> int:
    from deid.cli.verify import verify_outputs

    ok = verify_outputs(Path(args.dst), _load_policy(args.policy), as_json=args.json, quiet=args.quiet)
    return EXIT_OK if ok else EXIT_RESIDUAL


def cmd_serve(argv: list[str]) -> int:
    try:
        from deid.server.__main__ import main as server_main
    except ImportError:
        print("deid serve: the gRPC server package is not installed", file=sys.stderr)
        return EXIT_ERROR
    return int(server_main(argv) or 0)


class _Usage(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``deid`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        return cmd_serve(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, args.quiet)
    from deid.core.errors import DeidError, reason_of

    try:
        if args.command == "scrub":
            return cmd_scrub(args)
        if args.command == "inspect":
            return cmd_inspect(args)
        if args.command == "verify":
            return cmd_verify(args)
    except _Usage as exc:
        print(f"deid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DeidError as exc:
        # Our messages never quote input content; configuration errors are usage errors.
        print(f"deid: {exc.message} [{exc.reason}]", file=sys.stderr)
        usage = exc.reason in {"missing_key", "weak_key", "passphrase_key", "bad_policy", "missing_source", "bad_archive", "dst_inside_src"}
        return EXIT_USAGE if usage else EXIT_ERROR
    except KeyboardInterrupt:
        print("deid: interrupted; run again with --resume to continue", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never echo a message that may quote input
        print(f"deid: failed ({reason_of(exc)})", file=sys.stderr)
        log.debug("failure", exc_info=False)
        return EXIT_ERROR
    parser.error("unknown command")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
