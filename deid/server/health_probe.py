"""Container health probe: exit 0 when the gRPC health service says SERVING, else 1.

    python -m deid.server.health_probe [--address 127.0.0.1:50051] [--ca ca.pem]
        [--cert client.pem --key client.key] [--server-name deid.internal]

Defaults come from the environment (``DEID_HEALTH_ADDRESS``, ``DEID_HEALTH_CA``,
``DEID_HEALTH_CERT``, ``DEID_HEALTH_KEY``, ``DEID_HEALTH_SERVER_NAME``) so a Docker
HEALTHCHECK line needs no arguments. Health checks need no bearer token. Imports only
grpc: it runs every few seconds and must stay cheap.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deid.server.health_probe")
    p.add_argument("--address", default=os.environ.get("DEID_HEALTH_ADDRESS", "127.0.0.1:50051"))
    p.add_argument("--ca", default=os.environ.get("DEID_HEALTH_CA"))
    p.add_argument("--cert", default=os.environ.get("DEID_HEALTH_CERT"))
    p.add_argument("--key", default=os.environ.get("DEID_HEALTH_KEY"))
    p.add_argument("--server-name", default=os.environ.get("DEID_HEALTH_SERVER_NAME"))
    p.add_argument("--service", default="deid.v1.Deid")
    p.add_argument("--timeout", type=float, default=3.0)
    args = p.parse_args(argv)

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    options = [("grpc.ssl_target_name_override", args.server_name)] if args.server_name else []
    if args.ca or args.cert:
        creds = grpc.ssl_channel_credentials(
            root_certificates=Path(args.ca).read_bytes() if args.ca else None,
            private_key=Path(args.key).read_bytes() if args.key else None,
            certificate_chain=Path(args.cert).read_bytes() if args.cert else None,
        )
        channel = grpc.secure_channel(args.address, creds, options=options)
    else:
        channel = grpc.insecure_channel(args.address, options=options)
    try:
        with channel:
            resp = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout
            )
    except grpc.RpcError as err:
        print(f"health: {err.code().name}", file=sys.stderr)
        return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
    print(f"health: {status}")
    return 0 if resp.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
