#!/usr/bin/env python3
"""Validate eval/bbc-qa.jsonl against the BBC corpus (which stays outside the repo).

Usage: python3 eval/check_bbc_qa.py [--corpus DIR] [--manifest TSV] [--qa FILE]
Defaults: ../shared/eval/bbc and ../shared/eval/bbc-manifest.tsv relative to the repo root,
or $BBC_CORPUS / $BBC_MANIFEST. Exits non-zero if any check fails.

Checks:
  * every line is a JSON object with exactly the expected fields and types; ids unique and well formed;
  * evidence files exist; every answer string occurs (case-insensitive) in at least one evidence file;
  * exact duplicates (manifest) and title-only copies (identical body) of an evidence file are listed too,
    and no other near-duplicate (5-word-shingle Jaccard >= 0.5) that also holds the answer is left out;
  * no question copies 6 or more consecutive words from its evidence article;
  * unanswerable items have no answers/evidence and every term after "absent:" in notes
    (literal, or /regex/) occurs nowhere in the corpus;
  * follow-up turns share a chat id, each chat is contiguous in the file and has at least two turns;
    other kinds have chat null.
"""
import argparse
import collections
import hashlib
import json
import os
import re
import sys

FIELDS = ["id", "question", "answers", "evidence_doc_ids", "kind", "chat", "notes"]
PREFIX = {"paraphrase": "bbc-p-", "followup": "bbc-f-", "unanswerable": "bbc-u-"}
CATS = ["business", "entertainment", "politics", "sport", "tech"]


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def shingles(ws, n):
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shared = os.path.join(os.path.dirname(repo), "shared", "eval")
    if not os.path.isdir(shared):
        shared = "/work/shared/eval"
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.environ.get("BBC_CORPUS", os.path.join(shared, "bbc")))
    ap.add_argument("--manifest", default=os.environ.get("BBC_MANIFEST", os.path.join(shared, "bbc-manifest.tsv")))
    ap.add_argument("--qa", default=os.path.join(repo, "eval", "bbc-qa.jsonl"))
    args = ap.parse_args()

    # --- corpus -------------------------------------------------------------------------
    raw, text, title = {}, {}, {}
    for cat in CATS:
        for name in sorted(os.listdir(os.path.join(args.corpus, cat))):
            if not name.endswith(".txt"):
                continue
            doc = f"{cat}/{name[:-4]}"
            b = open(os.path.join(args.corpus, cat, name), "rb").read()
            raw[doc] = b
            t = b.decode("utf-8", errors="replace")  # sport/199 holds one ISO-8859 byte
            text[doc] = t.lower()
            title[doc] = t.split("\n", 1)[0].strip()
    body_hash = collections.defaultdict(set)
    for doc, b in raw.items():
        body = b.split(b"\n", 1)[1].strip() if b"\n" in b else b
        body_hash[hashlib.sha1(body).hexdigest()].add(doc)
    same_body = {d: g for g in body_hash.values() for d in g}
    dup = collections.defaultdict(set)  # manifest: exact duplicates, both directions
    with open(args.manifest, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(head, line.rstrip("\n").split("\t")))
            if row.get("exact_duplicate_of"):
                a, b = row["path"][:-4], row["exact_duplicate_of"][:-4]
                dup[a].add(b)
                dup[b].add(a)
    sh = {d: shingles(words(t.split("\n", 1)[-1]), 5) for d, t in text.items()}
    index = collections.defaultdict(set)
    for d, s in sh.items():
        for x in s:
            index[x].add(d)

    def near_dups(doc):
        counts = collections.Counter()
        for x in sh[doc]:
            for other in index[x]:
                if other != doc:
                    counts[other] += 1
        return {o for o, k in counts.items() if k / len(sh[doc] | sh[o]) >= 0.5}

    # --- items --------------------------------------------------------------------------
    errors, items = [], []
    with open(args.qa, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                o = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {n}: bad JSON: {e}")
                continue
            if not isinstance(o, dict) or list(o) != FIELDS:
                errors.append(f"line {n}: fields must be exactly {FIELDS} in that order")
                continue
            items.append(o)

    seen, chats_order, specificity = set(), [], []
    counts = collections.Counter()
    for o in items:
        iid, kind = o["id"], o["kind"]
        err = lambda msg: errors.append(f"{iid}: {msg}")
        if iid in seen:
            err("duplicate id")
        seen.add(iid)
        if kind not in PREFIX:
            err(f"unknown kind {kind!r}")
            continue
        if not re.fullmatch(re.escape(PREFIX[kind]) + r"\d{3}", iid):
            err(f"id should look like {PREFIX[kind]}NNN")
        if not isinstance(o["question"], str) or not o["question"].strip():
            err("empty question")
        if not (isinstance(o["answers"], list) and all(isinstance(a, str) and a.strip() for a in o["answers"])):
            err("answers must be a list of non-empty strings")
            continue
        if not (isinstance(o["evidence_doc_ids"], list) and all(isinstance(d, str) for d in o["evidence_doc_ids"])):
            err("evidence_doc_ids must be a list of strings")
            continue
        if not isinstance(o["notes"], str):
            err("notes must be a string")
            continue
        ev = o["evidence_doc_ids"]
        if kind == "followup":
            if not isinstance(o["chat"], str) or not o["chat"]:
                err("followup needs a chat id")
            chats_order.append(o["chat"])
        else:
            if o["chat"] is not None:
                err("chat must be null unless kind is followup")
            chats_order.append(None)

        if kind == "unanswerable":
            counts[(kind, "-")] += 1
            if o["answers"] or ev:
                err("unanswerable items need answers [] and evidence_doc_ids []")
            m = re.search(r"absent:\s*(.+)$", o["notes"])
            if not m:
                err("notes must list the key terms after 'absent:'")
                continue
            for term in [t.strip() for t in m.group(1).split(" | ") if t.strip()]:
                if len(term) > 2 and term.startswith("/") and term.endswith("/"):
                    rx = re.compile(term[1:-1], re.I)
                    hits = [d for d, t in text.items() if rx.search(t)]
                else:
                    hits = [d for d, t in text.items() if term.lower() in t]
                if hits:
                    err(f"absent term {term!r} occurs in {len(hits)} file(s), e.g. {hits[:3]}")
            continue

        # answerable kinds
        if not o["answers"] or not ev:
            err("answerable items need answers and evidence")
            continue
        if len(set(ev)) != len(ev):
            err("evidence_doc_ids repeats a document")
        missing = [d for d in ev if d not in text]
        if missing:
            err(f"evidence file(s) not in corpus: {missing}")
            continue
        cats = {d.split("/")[0] for d in ev}
        counts[(kind, "/".join(sorted(cats)))] += 1
        for a in o["answers"]:
            if not any(a.lower() in text[d] for d in ev):
                err(f"answer {a!r} occurs in none of {ev}")
            specificity.append(sum(a.lower() in t for t in text.values()))
        for d in ev:
            need = dup[d] | same_body[d]
            if not need <= set(ev):
                err(f"{d} has duplicate(s) {sorted(need - set(ev))} not listed in evidence")
            for nd in near_dups(d) - set(ev):
                if any(a.lower() in text[nd] for a in o["answers"]):
                    err(f"near-duplicate {nd} of {d} also holds the answer but is not listed")
        qsh = shingles(words(o["question"]), 6)
        for d in ev:
            if qsh & shingles(words(text[d]), 6):
                err(f"question copies 6+ consecutive words from {d}")

    # follow-up conversations: contiguous runs of one chat id, each at least two turns
    prev = object()
    seen_chats, lengths = set(), collections.Counter()
    for i, c in enumerate(chats_order):
        if c is not None:
            if c != prev and c in seen_chats:
                errors.append(f"chat {c}: turns are not contiguous (again at line {i + 1})")
            seen_chats.add(c)
            lengths[c] += 1
        prev = c
    for c, k in lengths.items():
        if k < 2:
            errors.append(f"chat {c}: only {k} turn")

    # --- report -------------------------------------------------------------------------
    kinds = collections.Counter(o["kind"] for o in items)
    print(f"{len(items)} items: " + ", ".join(f"{k} {kinds[k]}" for k in PREFIX))
    for kind in ("paraphrase", "followup"):
        per = collections.Counter()
        for (k, c), v in counts.items():
            if k == kind:
                per[c] += v
        print(f"  {kind:<12} " + ", ".join(f"{c} {per[c]}" for c in CATS))
    print(f"  followup chats: {len(lengths)} (turns per chat: {dict(sorted(collections.Counter(lengths.values()).items()))})")
    if specificity:
        s = sorted(specificity)
        print(f"  answer strings found in N corpus files: median {s[len(s) // 2]}, "
              f"unique to one story {sum(1 for x in s if x <= 1)}/{len(s)}")
    if errors:
        print(f"FAIL: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
