"""Small synthetic text cases for CLI tests (planted PHI in content and file names)."""

from __future__ import annotations

import json
from pathlib import Path

# Hex key material (a passphrase is refused): 32 bytes, fixed for the tests, not secret.
KEY = "9b04ab39577a5a08bcfb39920b34d35fffd55ba3ab9ffa55cadcb5900a39a831"

# Planted PHI: none of these may appear in logs, manifest reasons, output names or reports.
PLANTED = {
    "name": "Zebulon Quartermaine",
    "surname": "Quartermaine",
    "mrn": "MRN 4471923",
    "phone": "(617) 555-0142",
    "email": "zeb.q@example.com",
}


def case_text(i: int) -> str:
    return (
        f"Case {i}: {PLANTED['name']} ({PLANTED['mrn']}) was seen on 03/04/2024 with a rash.\n"
        f"Mr {PLANTED['surname']} can be reached at {PLANTED['phone']} or {PLANTED['email']}.\n"
        "Itchy papules on both forearms for two weeks; no fever. Any ideas?\n"
    )


def make_text_cases(root: Path, n: int, *, filler_words: int = 0) -> Path:
    """``n`` case folders, each with two texts named after the patient (PHI in names)."""
    filler = " ".join(["erythematous papules noted on examination"] * (filler_words // 5))
    for i in range(n):
        d = root / f"QUARTERMAINE_ZEBULON_{i:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "history_quartermaine.txt").write_text(case_text(i) + filler, encoding="utf-8")
        (d / "followup.md").write_text(f"Follow-up for {PLANTED['surname']}: improving.\n", encoding="utf-8")
    return root


def read_manifest(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


