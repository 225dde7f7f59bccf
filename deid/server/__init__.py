"""The deid gRPC service: a thin adapter over the library's public API.

``python -m deid.server`` (or ``deid serve``) runs it; see ``deid/server/README.md``. The stubs in
``deid/server/_gen/`` are generated from ``protos/`` by ``scripts/gen_protos.py`` (run by
``scripts/setup.sh`` and the Dockerfile) and are not committed.
"""
