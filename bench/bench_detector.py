"""Scoring speed: the complaint detector alone (and the retired lexicon detector), VADER alone (stock and the
Scorer's faster twin), the full Scorer, and `earful score` against a stock-VADER filter, JSON lines in and out.

    .venv/bin/python bench/bench_detector.py            # writes bench/results/detector.json
    .venv/bin/python bench/bench_detector.py --quick    # fewer texts and rounds, prints only

The corpus is generated here (fixed seed) from invented phrases: short posts, app-store-review-sized texts and
a few long forum/article bodies, complaints and everything else mixed. The detector is timed on texts whose
VADER compound was computed beforehand, so its row is the detector alone. Its cue regexes compile lazily on
first sight of a character triple; the "first pass" row shows that one-off cost, the others are warm.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from bench.lexicon_baseline import assess as lexicon_assess  # noqa: E402
from monitors.scoring.complaints import MAX_CHARS, judge, read  # noqa: E402
from monitors.scoring.scorer import Scorer  # noqa: E402
from monitors.scoring.sentiment import FastSentimentIntensityAnalyzer  # noqa: E402

BRANDS = ["Acme", "Globex", "Initech", "Umbrella Air", "Hooli Mobile", "Vandelay Foods", "Soylent Bank"]
THINGS = ["order", "parcel", "flight", "account", "router", "subscription", "invoice", "app", "charger", "booking"]
COMPLAINT = [
    "my {thing} still hasn't arrived after {n} days", "charged twice for the same {thing}, want a refund",
    "the {thing} stopped working after a week", "on hold for {n} minutes and nobody picked up",
    "why is my {thing} showing as cancelled?", "third time I've asked, no response at all",
    "thanks for nothing, the {thing} is broken again", "never again, cancelling my {thing} today",
    "absolutely appalling customer service about my {thing}", "not happy, the {thing} keeps crashing",
]
OTHER = [
    "loving the new {thing}, great job", "does the {thing} come in blue?", "all sorted now, thank you!",
    "{brand} announces record quarterly revenue", "win a free {thing} in our giveaway", "lol my dog ate the {thing}",
    "sorry to hear that, please DM us your {thing} number", "picked up the {thing} today, smooth as ever",
    "the weather is grim but the coffee is good", "anyone know when the {brand} store opens?",
]
FILLER = ("the team said it would take a while and we talked about the weekend plans and the match last night "
          "while the kids played outside and the kettle boiled").split()


def _sentence(rng: random.Random) -> str:
    template = rng.choice(COMPLAINT if rng.random() < 0.4 else OTHER)
    return template.format(thing=rng.choice(THINGS), n=rng.randint(2, 90), brand=rng.choice(BRANDS))


def _filler(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(FILLER) for _ in range(words))


def corpus(n: int, seed: int = 7) -> list[str]:
    """70% short posts, 22% review-sized, 8% long bodies (about 2,000 characters)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        roll = rng.random()
        handle = f"@{rng.choice(BRANDS).replace(' ', '')} " if rng.random() < 0.5 else ""
        if roll < 0.70:
            text = handle + _sentence(rng).capitalize() + rng.choice(["", "!", "!!", " 😡", " 🙂", "."])
        elif roll < 0.92:
            text = ". ".join(_sentence(rng).capitalize() for _ in range(rng.randint(3, 6))) + "."
        else:
            parts = [_filler(rng, rng.randint(20, 60)) + ". " + _sentence(rng).capitalize() for _ in range(6)]
            text = rng.choice(BRANDS) + " review\n\n" + ". ".join(parts) + "."
        if rng.random() < 0.2:
            text += f" https://example.com/p/{rng.randint(1, 10**6)}"
        texts.append(text)
    return texts


def _rate(function, items, rounds: int) -> float:
    """Items per CPU-second of this process, best of `rounds` (CPU time, so other work on the machine does not
    count against it)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for item in items:
            function(item)
        best = min(best, time.process_time() - started)
    return len(items) / best


_VADER_FILTER = """
import json, sys
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
vader = SentimentIntensityAnalyzer()
for line in sys.stdin:
    item = json.loads(line)
    compound = vader.polarity_scores(item["text"])["compound"]
    sys.stdout.write(json.dumps({"id": item["id"], "sentiment": compound, "complaint": compound < -0.05}) + "\\n")
"""


def _commands(texts: list[str]) -> dict:
    """Wall-clock texts/s of `earful score` and of a stock-VADER filter over the same JSON lines, start-up
    included (each run twice, best kept)."""
    import subprocess

    lines = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts))
    earful = [str(Path(sys.executable).parent / "earful"), "score"]
    rates = {}
    for name, command in (("earful_score", earful), ("stock_vader_filter", [sys.executable, "-c", _VADER_FILTER])):
        best = 0.0
        for _ in range(2):
            started = time.perf_counter()
            done = subprocess.run(command, input=lines, capture_output=True, text=True, check=True)
            assert done.stdout.count("\n") == len(texts), done.stderr[-500:]
            best = max(best, len(texts) / (time.perf_counter() - started))
        rates[name] = round(best)
    rates["texts"] = len(texts)
    rates["share_of_stock_vader"] = round(rates["earful_score"] / rates["stock_vader_filter"], 3)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer texts and rounds; print only")
    args = parser.parse_args()
    n, rounds = (2_000, 2) if args.quick else (20_000, 5)

    texts = [t[:MAX_CHARS] for t in corpus(n)]
    vader = SentimentIntensityAnalyzer()
    fast_vader = FastSentimentIntensityAnalyzer()
    scored = [(text, vader.polarity_scores(text)["compound"]) for text in texts]

    def assess(text, compound):  # as the Scorer runs it: explanations for the complaints only
        features = read(text, compound)
        found = judge(features, explain=False)
        return judge(features) if found.score >= 0.5 else found

    started = time.process_time()
    for text, compound in scored:  # fresh process: the first pass compiles the cue buckets it needs
        assess(text, compound)
    first_pass = len(scored) / (time.process_time() - started)

    def detector(pair):
        return assess(pair[0], pair[1])

    def lexicon(pair):
        return lexicon_assess(pair[0], pair[1])

    results = {
        "texts": n,
        "mean_chars": round(sum(map(len, texts)) / n, 1),
        "complaints_found": sum(assess(t, c).score >= 0.5 for t, c in scored),
        # the Scorer's analyzer must agree with stock VADER on every text, not just be faster
        "fast_vader_identical": all(fast_vader.polarity_scores(t) == vader.polarity_scores(t) for t in texts),
        "texts_per_second": {
            "detector_first_pass": round(first_pass),
            "detector": round(_rate(detector, scored, rounds)),
            "lexicon_detector": round(_rate(lexicon, scored, rounds)),
            "vader": round(_rate(vader.polarity_scores, texts, rounds)),
            "fast_vader": round(_rate(fast_vader.polarity_scores, texts, rounds)),
            "scorer": round(_rate(Scorer().score, texts, rounds)),
        },
        "commands": _commands(texts[: n // 4]),
        "rounds": rounds,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "note": "texts per CPU-second on one core, best of rounds; "
                "the detector row excludes VADER (compound precomputed)",
    }
    print(json.dumps(results, indent=2))
    if not args.quick:
        out = ROOT / "bench" / "results" / "detector.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
