"""Held-out evaluation of ``deid.text.find_phi`` on corpus B (bench/text/corpus_b.py), C
(bench/text/corpus_c.py, ``--corpus c``) or D (bench/text/corpus_d.py, ``--corpus d``).

    python -m bench.text.eval_heldout --notes 200 [--corpus b|c|d] [--seed N] [--misses 60] [--fps 40]

(``python -m bench.text_eval_b`` still runs it.) Scoring is bench/text/scoring.py: a planted
PHI span counts as caught only if every alphanumeric character of it is covered by some
detection (of any kind). A must-keep clinical term counts as kept only if no detection
covers any of its alphanumeric characters.
"""

from __future__ import annotations

import argparse
import collections
import time

import deid.core
import deid.text
from bench.text.corpora import HELD_OUT, generate
from bench.text.scoring import caught, covered, touched


def _ctx(text: str, s, e, width: int = 45) -> str:
    a, b = max(0, s - width), min(len(text), e + width)
    out = text[a:s] + "⟦" + text[s:e] + "⟧" + text[e:b]
    return out.replace("\n", "⏎").replace("\t", " ")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--misses", type=int, default=60)
    ap.add_argument("--fps", type=int, default=40)
    ap.add_argument("--corpus", choices=HELD_OUT, default="b")
    args = ap.parse_args(argv)

    notes = generate(args.corpus, args.notes, args.seed)
    tot = collections.Counter()
    hit = collections.Counter()
    tag_tot = collections.Counter()
    tag_hit = collections.Counter()
    style_tot = collections.Counter()
    style_hit = collections.Counter()
    misses: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    keep_tot = collections.Counter()
    keep_ok = collections.Counter()
    fps: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    extra_words = collections.Counter()
    n_dets = 0
    t0 = time.perf_counter()
    for i, note in enumerate(notes):
        ctx = deid.core.CaseContext(b"eval-key-0123456789abcdef", case_id=str(i))
        dets = deid.text.find_phi(note.text, context=ctx)
        n_dets += len(dets)
        cov = covered(len(note.text), [(d.start, d.end) for d in dets])
        planted = [False] * len(note.text)
        for sp in note.phi:
            for j in range(sp.start, sp.end):
                planted[j] = True
            ok = caught(note.text, cov, sp.start, sp.end)
            tot[sp.kind] += 1
            tag_tot[(sp.kind, sp.tag)] += 1
            style_tot[note.style.split("/")[0]] += 1
            if ok:
                hit[sp.kind] += 1
                tag_hit[(sp.kind, sp.tag)] += 1
                style_hit[note.style.split("/")[0]] += 1
            else:
                partial = touched(note.text, cov, sp.start, sp.end)
                misses[(sp.kind, sp.tag)].append(
                    f"{'partial' if partial else 'missed '} [{note.style}] {_ctx(note.text, sp.start, sp.end)}"
                )
        for kp in note.keep:
            keep_tot[kp.kind] += 1
            if not touched(note.text, cov, kp.start, kp.end):
                keep_ok[kp.kind] += 1
            else:
                alnum = [j for j in range(kp.start, kp.end) if note.text[j].isalnum()]
                d = next(d for d in dets if any(d.start <= j < d.end for j in alnum))
                fps[(kp.kind, kp.tag)].append(
                    f"{d.kind}/{d.source} {d.score:.2f} [{note.style}] {_ctx(note.text, d.start, d.end, 30)}"
                )
        # detections over text that was neither planted PHI (helps spot over-redaction)
        for d in dets:
            if not any(planted[j] for j in range(d.start, d.end)):
                frag = note.text[d.start:d.end].strip()
                if frag:
                    extra_words[(d.kind, d.source, frag.replace("\n", "⏎")[:40])] += 1
    dt = time.perf_counter() - t0

    print(f"corpus {args.corpus.upper()}: {len(notes)} notes, {sum(tot.values())} PHI spans, {n_dets} detections, {dt:.1f}s\n")
    print(f"{'kind':<12}{'n':>6}{'caught':>8}{'recall':>8}")
    for k in sorted(tot, key=lambda k: hit[k] / tot[k]):
        print(f"{k:<12}{tot[k]:>6}{hit[k]:>8}{hit[k] / tot[k]:>8.3f}")
    T, H = sum(tot.values()), sum(hit.values())
    print(f"{'ALL':<12}{T:>6}{H:>8}{H / T:>8.3f}\n")

    print("recall by style:")
    for s in sorted(style_tot, key=lambda s: style_hit[s] / style_tot[s]):
        print(f"  {s:<12}{style_tot[s]:>5}  {style_hit[s] / style_tot[s]:.3f}")

    print("\nweakest sub-formats (kind / tag: recall, n>=3):")
    weak = [(tag_hit[t] / tag_tot[t], t) for t in tag_tot if tag_tot[t] >= 3 and tag_hit[t] < tag_tot[t]]
    for r, (k, tag) in sorted(weak)[:45]:
        print(f"  {k:<11} {tag:<22} {r:.2f}  ({tag_hit[(k, tag)]}/{tag_tot[(k, tag)]})")

    KT, KO = sum(keep_tot.values()), sum(keep_ok.values())
    print(f"\nmust-keep kept: {KO}/{KT} = {KO / KT:.3f}")
    for c in sorted(keep_tot):
        print(f"  {c:<10}{keep_tot[c]:>5}  kept {keep_ok[c] / keep_tot[c]:.3f}")

    print(f"\n=== first ~{args.misses} misses, grouped (kind | tag) ===")
    shown = 0
    for (k, tag), lines in sorted(misses.items(), key=lambda kv: -len(kv[1])):
        if shown >= args.misses:
            break
        print(f"-- {k} | {tag}  ({len(lines)} missed of {tag_tot[(k, tag)]})")
        for ln in lines[:3]:
            print("   ", ln)
            shown += 1

    print(f"\n=== first ~{args.fps} must-keep false positives, grouped (category | term) ===")
    shown = 0
    for (c, term), lines in sorted(fps.items(), key=lambda kv: -len(kv[1])):
        if shown >= args.fps:
            break
        print(f"-- {c} | {term!r}  ({len(lines)} times)")
        for ln in lines[:2]:
            print("   ", ln)
            shown += 1

    print("\n=== most frequent detections over non-PHI text (kind/source | text) ===")
    for (k, src, frag), n in extra_words.most_common(30):
        print(f"  {n:>4}  {k}/{src}  {frag!r}")


if __name__ == "__main__":
    main()
