#!/usr/bin/python3
"""Trains the character-bigram gibberish model behind the route heuristic and writes it
as a C++ table (src/routes/gibberish_model.inc).

Usage: /usr/bin/python3 scripts/gen_gibberish_model.py [--words /usr/share/dict/words]
       [--out src/routes/gibberish_model.inc] [--report]

Model: 27 symbols ('a'..'z' plus one word-boundary symbol). For every lowercase a-z word of
the list we count the transitions boundary->w0, w0->w1, ..., w(n-1)->boundary. Each row is
smoothed with add-k and stored as round(1000 * ln P(next | prev)) ("milli-nats").
A word's score is the mean of its transitions' log-probabilities; lower = less word-like.

Threshold: 90% of the words train the model (a fixed hash split, so runs are reproducible);
the other 10% plus a list of common URL path words are the positives, seeded uniformly
random a-z strings are the negatives. Words shorter than MIN_WORD_LEN are never judged
(measured: below that length words and random strings overlap too much, see --report).
The threshold maximises balanced accuracy over lengths >= MIN_WORD_LEN, subject to every
URL path word passing with a margin of URL_WORD_MARGIN. Needs the Debian package `wamerican` (apt-get install wamerican).
"""
import argparse
import hashlib
import math
import os
import random
import re
import subprocess
import sys

SYMBOLS = 27
BOUNDARY = 26
SMOOTHING_K = 0.5
MIN_WORD_LEN = 4
URL_WORD_MARGIN = 50  # milli-nats kept between the threshold and the lowest URL word
NEGATIVES_PER_LENGTH = 5000
LENGTHS = range(1, 17)
SEED = 20261122

# Words seen in real API paths: all of them must be judged word-like.
URL_WORDS = """
users user products product api job jobs orders order items item customers customer health
metrics login logout search hello world account accounts admin auth basic cart checkout config
dashboard data docs download upload files file images image index info status profile register
reset settings static assets public private home about contact blog posts post comments comment
tags tag categories category invoices invoice payments payment billing subscriptions events
event notifications messages message reports report graphql rest internal external query
session sessions token tokens oauth callback webhook webhooks ping ready live healthz readyz
livez version versions release releases build builds deploy deployments pods nodes services
service namespaces clusters cluster teams team members member groups group roles role
permissions tenants tenant projects project tasks task issues issue pulls repos repo branches
commits tree blob raw media video videos audio stream streams feed feeds news articles article
pages page menu menus store stores shop inventory stock prices price quotes quote shipping
tracking address addresses countries cities locations location maps weather forecast
calendar schedule booking bookings reservations tickets ticket support help faq terms privacy
cookies favicon robots sitemap manifest javascript styles scripts fonts vendor lib dist
backend frontend gateway proxy cache queue worker workers cron batch export import sync
basket wishlist reviews review ratings rating recommendations similar trending popular latest
new edit delete update create list get set add remove count total summary stats analytics
""".split()


def load_words(path):
    words = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            w = line.strip()
            if re.fullmatch(r"[A-Za-z]+", w):
                words.add(w.lower())
    return sorted(words)


def is_heldout(word):
    return hashlib.sha1(word.encode()).digest()[0] < 26  # about 10%


def train(words):
    counts = [[0] * SYMBOLS for _ in range(SYMBOLS)]
    for w in words:
        prev = BOUNDARY
        for ch in w:
            cur = ord(ch) - 97
            counts[prev][cur] += 1
            prev = cur
        counts[prev][BOUNDARY] += 1
    table = []
    for row in counts:
        total = sum(row) + SMOOTHING_K * SYMBOLS
        table.append([round(1000 * math.log((c + SMOOTHING_K) / total)) for c in row])
    return table


def score(table, w):
    prev, total = BOUNDARY, 0
    for ch in w:
        cur = ord(ch) - 97
        total += table[prev][cur]
        prev = cur
    total += table[prev][BOUNDARY]
    return total / (len(w) + 1)


def negatives(rng, length):
    return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length))
            for _ in range(NEGATIVES_PER_LENGTH)]


def balanced_accuracy(pos, neg, thr):
    tp = sum(1 for s in pos if s >= thr)
    tn = sum(1 for s in neg if s < thr)
    return tp / len(pos), tn / len(neg)


def wamerican_version():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "wamerican"],
                             capture_output=True, text=True, check=False)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", default="/usr/share/dict/words")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(repo, "src/routes/gibberish_model.inc"))
    ap.add_argument("--report", action="store_true", help="print accuracy per length")
    args = ap.parse_args()

    words = load_words(args.words)
    train_words = [w for w in words if not is_heldout(w)]
    test_words = [w for w in words if is_heldout(w)]
    table = train(train_words)
    rng = random.Random(SEED)

    pos_by_len = {n: [score(table, w) for w in test_words if len(w) == n] for n in LENGTHS}
    neg_by_len = {n: [score(table, w) for w in negatives(rng, n)] for n in LENGTHS}
    url_scores = {w: score(table, w) for w in URL_WORDS}

    judged = [n for n in LENGTHS if n >= MIN_WORD_LEN and pos_by_len[n]]
    ceiling = min(s for w, s in url_scores.items() if len(w) >= MIN_WORD_LEN)
    best = None
    for thr in range(-4500, -1500, 5):
        if thr > ceiling - URL_WORD_MARGIN:
            break
        tpr = sum(balanced_accuracy(pos_by_len[n], neg_by_len[n], thr)[0] for n in judged) / len(judged)
        tnr = sum(balanced_accuracy(pos_by_len[n], neg_by_len[n], thr)[1] for n in judged) / len(judged)
        if best is None or tpr + tnr > best[1] + best[2]:
            best = (thr, tpr, tnr)
    thr, tpr, tnr = best

    per_len = []
    for n in LENGTHS:
        if not pos_by_len[n]:
            continue
        p, q = balanced_accuracy(pos_by_len[n], neg_by_len[n], thr)
        per_len.append((n, len(pos_by_len[n]), p, q))
    if args.report:
        print(f"words={len(words)} train={len(train_words)} heldout={len(test_words)} threshold={thr}")
        print("len  heldout  words_kept  random_rejected")
        for n, cnt, p, q in per_len:
            print(f"{n:3d}  {cnt:7d}  {p:9.3f}  {q:9.3f}")
        print(f"mean over len>={MIN_WORD_LEN}: words kept {tpr:.3f}, random rejected {tnr:.3f}")
        worst = sorted(url_scores.items(), key=lambda kv: kv[1])[:8]
        print("lowest URL words:", ", ".join(f"{w}={s:.0f}" for w, s in worst))
        for w in ("fdklsd", "jelk", "hello", "world", "asdfgh", "qwerty", "xkcd"):
            print(f"  {w}: {score(table, w):.0f}")

    lines = []
    lines.append("// Character-bigram gibberish model for the route heuristic. GENERATED, do not edit:")
    lines.append("// /usr/bin/python3 scripts/gen_gibberish_model.py (--report prints the accuracy table).")
    lines.append(f"// Trained on {len(train_words)} lowercase a-z words of /usr/share/dict/words "
                 f"(Debian wamerican {wamerican_version()}),")
    lines.append(f"// the 90% of a fixed hash split; add-k smoothing k={SMOOTHING_K}.")
    lines.append("// Symbols 0..25 = 'a'..'z', 26 = word boundary; entry [prev][next] = round(1000 * ln P(next|prev)).")
    lowest = min((s, w) for w, s in url_scores.items() if len(w) >= MIN_WORD_LEN)
    lines.append(f"// Threshold {thr} milli-nats (mean log-probability per transition): the best balanced accuracy on")
    lines.append(f"// {len(test_words)} held-out words vs {NEGATIVES_PER_LENGTH} random a-z strings per length (lengths >= "
                 f"{MIN_WORD_LEN}) that keeps all")
    lines.append(f"// {len(URL_WORDS)} URL path words of the script {URL_WORD_MARGIN} above it "
                 f"(lowest: {lowest[1]} {lowest[0]:.0f}). Measured:")
    lines.append(f"// words kept {tpr:.3f}, random strings rejected {tnr:.3f} (mean over lengths). Per length "
                 "(len: words kept / random rejected):")
    row = []
    for n, _, p, q in per_len:
        row.append(f"{n}: {p:.2f}/{q:.2f}")
        if len(row) == 6:
            lines.append("//   " + ", ".join(row))
            row = []
    if row:
        lines.append("//   " + ", ".join(row))
    lines.append(f"// Letter runs shorter than {MIN_WORD_LEN} are never judged gibberish.")
    lines.append("")
    lines.append(f"constexpr int kGibberishSymbols = {SYMBOLS};")
    lines.append(f"constexpr int kGibberishBoundary = {BOUNDARY};")
    lines.append(f"constexpr int kGibberishThresholdMilli = {thr};")
    lines.append(f"constexpr size_t kGibberishMinWordLen = {MIN_WORD_LEN};")
    lines.append("constexpr int16_t kGibberishLogProb[kGibberishSymbols][kGibberishSymbols] = {")
    for i, r in enumerate(table):
        name = "_" if i == BOUNDARY else chr(97 + i)
        lines.append("    {" + ", ".join(str(v) for v in r) + "},  // " + name)
    lines.append("};")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}: threshold {thr}, words kept {tpr:.3f}, random rejected {tnr:.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
