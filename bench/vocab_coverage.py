"""How far a pure vocabulary gate would go on real notes: counts only, no values.

Reads the development half of the PhysioNet deid corpus from ../shared (never copied) and
classifies every word token with :mod:`deid.text.vocabulary`:

* of the tokens inside annotated name and place spans (HCPName, PTName,
  RelativeProxyName, Location): the share SAFE / AMBIGUOUS / UNKNOWN - UNKNOWN is what
  a vocabulary gate removes by construction, SAFE is what it can never catch;
* of the word tokens outside any PHI span: the share UNKNOWN - the collateral such a
  gate would cost if every unknown word were removed.

Usage: python bench/vocab_coverage.py [--corpus PATH]
Prints counts and shares only: never a token.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

from deid.text.vocabulary import WordClass, classify

_REL = Path("shared") / "corpora" / "physionet-dev" / "notes.jsonl"
_ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the main checkout (/work/main -> /work/shared); a worktree sits one deeper
DEFAULT_CORPUS = next((p / _REL for p in (_ROOT.parent, _ROOT.parent.parent) if (p / _REL).exists()),
                      _ROOT.parent / _REL)
NAME_PLACE = ("HCPName", "PTName", "RelativeProxyName", "Location")
# words with at least one letter; inner ' - / kept (possessives, compounds, "w/o")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\u2019]*(?:[-/][A-Za-z0-9']+)*")


def _floor_vocabulary() -> frozenset[str]:
    """The word lists the text engine had before this vocabulary (common_words.txt and
    medical_terms.txt), as a plain allow-list: the floor to compare with."""
    data = Path(__file__).resolve().parents[1] / "deid" / "text" / "data"
    words: set[str] = set()
    for name in ("common_words.txt", "medical_terms.txt"):
        for ln in (data / name).read_text(encoding="utf-8").splitlines():
            if ln and not ln.startswith("#"):
                words.update(ln.casefold().split())
    return frozenset(words)


HELD_OUT_LOCALES = ("fi_FI", "hu_HU", "cs_CZ", "ro_RO", "da_DK", "no_NO", "sk_SK", "hr_HR")  # bench/text/corpus_a.py


def _held_out_names() -> Counter[str]:
    """Classes of the names of the Faker locales no list was built from."""
    import importlib

    names: set[str] = set()
    for loc in HELD_OUT_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in dir(provider):
            values = getattr(provider, attr, None)
            if attr.startswith(("first_names", "last_names")) and isinstance(values, (list, tuple, dict)):
                names.update(str(v) for v in values)
    return Counter(classify(n).value for n in names)


def _share(c: Counter[str], key: str) -> str:
    total = sum(c.values())
    return f"{c[key] / total:.3f}" if total else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args()
    if not args.corpus.exists():
        # the corpus lives outside the repo (../shared); without it there is nothing to measure
        raise SystemExit(f"corpus not found: {args.corpus}")

    t0 = time.perf_counter()
    classify("warm")  # load the data once, outside the timing below
    load_s = time.perf_counter() - t0

    floor = _floor_vocabulary()
    floor_phi = Counter[str]()
    floor_other = Counter[str]()
    phi: dict[str, Counter[str]] = {cat: Counter() for cat in NAME_PLACE}
    other = Counter[str]()
    other_lower = Counter[str]()  # tokens written in lower case
    other_upper = Counter[str]()  # capitalised tokens (Title or ALL CAPS)
    notes = 0
    t1 = time.perf_counter()
    with args.corpus.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            notes += 1
            text: str = rec["text"]
            spans = [(s, e, cat) for s, e, cat, *_ in rec["phi"]]
            for m in WORD.finditer(text):
                cat = next((c for s, e, c in spans if s < m.end() and m.start() < e), None)
                cls = classify(m.group(0)).value
                floor_cls = "known" if m.group(0).casefold() in floor else "unknown"
                if cat is None:
                    floor_other[floor_cls] += 1
                elif cat in phi:
                    floor_phi[floor_cls] += 1
                if cat is None:
                    other[cls] += 1
                    (other_lower if m.group(0).islower() else other_upper)[cls] += 1
                elif cat in phi:
                    phi[cat][cls] += 1
    run_s = time.perf_counter() - t1

    print(f"notes {notes}  vocabulary load {load_s:.2f}s  classify pass {run_s:.2f}s")
    print("PHI name/place span tokens:   n      safe   ambiguous unknown")
    total = Counter[str]()
    for cat in NAME_PLACE:
        c = phi[cat]
        total.update(c)
        print(f"  {cat:<26} {sum(c.values()):>5}  {_share(c, 'safe'):>6}  {_share(c, 'ambiguous'):>6}  "
              f"{_share(c, 'unknown'):>6}")
    print(f"  {'all four':<26} {sum(total.values()):>5}  {_share(total, 'safe'):>6}  "
          f"{_share(total, 'ambiguous'):>6}  {_share(total, 'unknown'):>6}")
    print("non-PHI word tokens:          n      safe   ambiguous unknown")
    for label, c in (("all", other), ("lower case", other_lower), ("capitalised", other_upper)):
        print(f"  {label:<26} {sum(c.values()):>5}  {_share(c, 'safe'):>6}  {_share(c, 'ambiguous'):>6}  "
              f"{_share(c, 'unknown'):>6}")
    print("floor: the previous word lists (common_words.txt + medical_terms.txt) as an allow-list:")
    print(f"  name/place span tokens unknown {_share(floor_phi, 'unknown')}   "
          f"non-PHI word tokens unknown {_share(floor_other, 'unknown')}")
    held = _held_out_names()
    print(f"synthetic: {sum(held.values())} first names and surnames of Faker's held-out locales "
          f"({','.join(HELD_OUT_LOCALES)}): safe {_share(held, 'safe')}  ambiguous {_share(held, 'ambiguous')}  "
          f"unknown {_share(held, 'unknown')}")
    assert all(k in {w.value for w in WordClass} for k in other)


if __name__ == "__main__":
    main()
