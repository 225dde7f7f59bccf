"""The word and template lists of the synthetic corpora, kept as data files under
bench/text/data/ (one YAML file per corpus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"


def load_lists(corpus: str) -> dict[str, Any]:
    """The lists of ``corpus`` ("corpus_a", ...), by the module-level name they replace."""
    with (DATA / f"{corpus}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)  # type: ignore[no-any-return]
