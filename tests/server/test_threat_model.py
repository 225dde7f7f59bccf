"""Row 10: the threat model in deid/server/README.md matches the code's limits and defaults."""

from __future__ import annotations

import dataclasses
import re

from grpc_helpers import ROOT

from deid.batch.sources import SourceLimits
from deid.server.config import ServerConfig

README = (ROOT / "deid" / "server" / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| `(\w+)` \| `([^`]+)` \|", re.M)


def _section(title: str) -> str:
    start = README.index(title)
    return README[start:]


def _rows(after: str, until: str | None = None) -> dict[str, str]:
    text = _section(after)
    if until:
        text = text[: text.index(until)]
    return dict(ROW.findall(text))


def test_threat_model_names_every_role():
    model = _section("## Threat model")
    for role in ("**operator**", "**token holder**", "**reader of published output**", "per-release keys"):
        assert role in model


def test_service_limits_table_matches_server_config_defaults():
    rows = _rows("Limits of the service", "Limits of archive reading")
    defaults = {f.name: f.default for f in dataclasses.fields(ServerConfig)
                if f.default is not dataclasses.MISSING}
    assert len(rows) >= 10
    for name, value in rows.items():
        assert name in defaults, f"{name} is not a server setting"
        assert value == repr(defaults[name]), f"{name}: README says {value}, code says {defaults[name]!r}"
    # Every abuse limit added for the security issue is documented.
    assert {"allow_policy_overrides", "max_calls_per_token", "upload_min_bytes_per_second"} <= set(rows)


def test_archive_limits_table_matches_source_limits_defaults():
    rows = _rows("Limits of archive reading")
    defaults = {f.name: f.default for f in dataclasses.fields(SourceLimits)}
    assert set(rows) == set(defaults) - {"chunk_bytes", "temp_dir"}
    for name, value in rows.items():
        assert value == repr(defaults[name]), f"{name}: README says {value}, code says {defaults[name]!r}"
