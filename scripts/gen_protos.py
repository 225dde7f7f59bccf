"""Generate the Python gRPC stubs from ``protos/`` into ``deid/server/_gen/`` (not committed).

Run by ``scripts/setup.sh`` and by the Dockerfile build; needs ``grpcio-tools`` (a dev
extra, and a build-stage dependency of the image). Idempotent: does nothing when the
stubs are newer than every ``.proto`` file, unless ``--force``.

protoc names the generated modules after the proto package path (``deid/v1/...``),
which would clash with our own ``deid`` package, so the one absolute import that the
gRPC plugin writes is rewritten to point into ``deid.server._gen``. That rewrite is part of
the generation step; the outputs are never edited by hand.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
OUT = ROOT / "deid" / "server" / "_gen"


def _stale(protos: list[Path]) -> bool:
    outputs = [OUT / p.relative_to(PROTO_ROOT).with_name(p.stem + "_pb2_grpc.py") for p in protos]
    if not all(o.exists() for o in outputs):
        return True
    newest_in = max(p.stat().st_mtime for p in protos)
    return min(o.stat().st_mtime for o in outputs) < newest_in


def generate(force: bool = False) -> int:
    protos = sorted(PROTO_ROOT.rglob("*.proto"))
    if not protos:
        print("gen_protos: no .proto files under protos/", file=sys.stderr)
        return 1
    if not force and not _stale(protos):
        return 0
    try:
        import grpc_tools
        from grpc_tools import protoc
    except ImportError:
        print("gen_protos: grpcio-tools is not installed (pip install grpcio-tools)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={OUT}",
        f"--pyi_out={OUT}",
        f"--grpc_python_out={OUT}",
        *[str(p) for p in protos],
    ]
    rc = protoc.main(args)
    if rc != 0:
        print(f"gen_protos: protoc failed ({rc})", file=sys.stderr)
        return 1
    # Make every generated folder a package and point cross-imports into deid.server._gen.
    for folder in [OUT, *[d for d in OUT.rglob("*") if d.is_dir()]]:
        if folder.name != "__pycache__":
            (folder / "__init__.py").touch()
    packages = {p.relative_to(PROTO_ROOT).parts[0] for p in protos}
    pattern = re.compile(r"^from (" + "|".join(map(re.escape, packages)) + r")(?!\.server\._gen)((?:\.\w+)*) import ", re.M)
    for py in OUT.rglob("*.py"):
        text = py.read_text(encoding="utf-8")
        new = pattern.sub(lambda m: f"from deid.server._gen.{m.group(1)}{m.group(2)} import ", text)
        if new != text:
            py.write_text(new, encoding="utf-8")
    print(f"gen_protos: generated stubs for {len(protos)} proto file(s) in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(generate(force="--force" in sys.argv[1:]))
