#!/usr/bin/env python3
"""List, for each answerable question in eval/bbc-qa.jsonl, the corpus stories that are not in its
evidence list but contain an accepted answer and resemble the listed evidence (the evidence audit in
eval/README.md). The output is for a person to read: a story is added only when it states the answer
to the same question.

Usage: python3 eval/audit_evidence.py [--corpus DIR] [--qa FILE] [--min-overlap 0.12]
"""
import argparse, glob, json, os, re

ap = argparse.ArgumentParser()
ap.add_argument("--corpus", default=os.environ.get("BBC_CORPUS", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "eval", "bbc")))
ap.add_argument("--qa", default=os.path.join(os.path.dirname(__file__), "bbc-qa.jsonl"))
ap.add_argument("--min-overlap", type=float, default=0.12, help="Jaccard overlap of words (4+ letters) with the listed evidence")
args = ap.parse_args()

docs = {}
for path in glob.glob(os.path.join(args.corpus, "*", "*.txt")):
    docs[os.path.relpath(path, args.corpus)[:-4]] = open(path, encoding="utf-8", errors="replace").read()
words = {k: set(re.findall(r"[a-z]{4,}", v.lower())) for k, v in docs.items()}

flagged = 0
for line in open(args.qa, encoding="utf-8"):
    q = json.loads(line)
    evidence = [e for e in q["evidence_doc_ids"] if e in docs]
    if not evidence or not q["answers"]:
        continue
    ev_words = set().union(*(words[e] for e in evidence))
    found = []
    for key, text in docs.items():
        if key in q["evidence_doc_ids"]:
            continue
        for answer in q["answers"]:
            i = text.find(answer)
            if i < 0:
                continue
            overlap = len(words[key] & ev_words) / len(words[key] | ev_words)
            if overlap >= args.min_overlap:
                start, end = text.rfind(".", 0, i) + 1, text.find(".", i + len(answer))
                found.append((overlap, key, text.split("\n")[0], " ".join(text[start:end + 1].split())[:250]))
            break
    if found:
        flagged += 1
        print(f"\n## {q['id']} {q['question']} | answers {q['answers']} | evidence {q['evidence_doc_ids']}")
        for overlap, key, title, sentence in sorted(found, reverse=True)[:6]:
            print(f"   {overlap:.2f} {key} [{title}] :: {sentence}")
print(f"\n{flagged} questions have candidate stories to read")
