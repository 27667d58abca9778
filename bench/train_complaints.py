"""Train the complaint model, validate it honestly, and write the weights file the package ships.

    .venv/bin/pip install -e '.[train]'          # scikit-learn: needed to train, never to run
    .venv/bin/python bench/train_complaints.py   # about two minutes on one core

Reads `../shared/data/complaints/dev.csv` (Preoţiuc-Pietro, Gaman and Aletras, ACL 2019; not shipped). The
features are `monitors.scoring.features` (the same code that scores at run time); the model is an L2-regularised
logistic regression.

Every figure it prints is measured on rows the model was not fitted on, with everything chosen inside the
training part:

- **10-fold**: stratified by label. In each training part, the regularisation C (from a small grid)
  and the decision threshold (the one with the best macro-F1) are chosen by an inner 5-fold cross-validation;
  the model is refitted on the whole training part and judged on the held-out tenth. Predictions of the ten
  held-out tenths are pooled into one macro-F1, precision and recall.
- **Leave one domain out**: the same, with each of the nine industries held out in turn (the random tweets
  always train).
- The **VADER-only rule** (compound < -0.05) and the **old lexicon detector** (`bench/lexicon_baseline.py`),
  its threshold chosen inside each training part the same way, beside it. The lexicon's weights were written
  while looking at this file, so its figures flatter it.

Then the shipped model is fitted on all rows, with C and the threshold chosen by the same inner cross-validation
over all rows, and written to `monitors/scoring/complaint_model.json.gz`; the figures go to
`bench/results/complaints.json`. `--check` refits and fails if the shipped file differs (reproducibility).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from monitors.scoring.features import MAX_CHARS, SIGNALS, UNTAUGHT, Features, extract, grams_of, opening  # noqa: E402
from monitors.scoring.complaints import judge  # noqa: E402
from monitors.scoring.model import MODEL_FILE, LinearModel, load  # noqa: E402
from monitors.scoring.sentiment import FastSentimentIntensityAnalyzer  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "complaints" / "dev.csv"
SHIPPED = ROOT / "monitors" / "scoring" / MODEL_FILE
RESULTS = ROOT / "bench" / "results" / "complaints.json"
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)
INNER_FOLDS = 5
MIN_DF = 2  # an n-gram must occur in two training texts: the file then holds fragments, never a text
SEED = 0


@dataclass(frozen=True)
class Row:
    text: str
    label: int
    domain: str
    compound: float
    features: Features


def read_rows(path: Path) -> list[Row]:
    vader = FastSentimentIntensityAnalyzer()
    rows = []
    with open(path, newline="", encoding="utf-8") as stream:
        for item in csv.DictReader(stream):
            text = item["text"][:MAX_CHARS]
            compound = vader.compound(opening(text)) if text.strip() else 0.0
            rows.append(Row(text, int(item["label"]), item["domain"], compound, extract(text, compound)))
    return rows


# Fitting ---------------------------------------------------------------------------------------------------------

def _vocabulary(texts: list[Iterable[str]], total: int) -> dict[str, float]:
    """Each n-gram found in MIN_DF texts or more, with its idf; `texts` holds each text's n-grams, each once."""
    df: Counter = Counter()
    for grams in texts:
        df.update(grams)
    return {gram: math.log((1 + total) / (1 + n)) + 1.0 for gram, n in sorted(df.items()) if n >= MIN_DF}


def _matrix(rows: list[Row], words: dict[str, float], chars: dict[str, float],
            use: frozenset[str]) -> sparse.csr_matrix:
    """The rows as the model sees them: the same tf-idf and unit length as `monitors.scoring.model`."""
    word_index = {gram: i for i, gram in enumerate(words)}
    char_index = {gram: len(words) + i for i, gram in enumerate(chars)}
    # too rare in the training tweets to learn (`UNTAUGHT`): left out, their weight is set by hand
    signal_index = {name: len(words) + len(chars) + i for i, name in enumerate(SIGNALS)}
    data, columns, pointers = [], [], [0]
    for row in rows:
        if "words" in use:
            cells = [(word_index[g], words[g]) for g in sorted(row.features.words) if g in word_index]
            norm = math.sqrt(sum(v * v for _, v in cells)) or 1.0
            for column, value in cells:
                columns.append(column)
                data.append(value / norm)
        if "chars" in use:  # per word, as monitors.scoring.model weighs them
            counts: Counter = Counter()
            size = 0.0
            for word in sorted(row.features.unigrams):  # sets: a fixed order, the same floats every run
                for gram in grams_of(word):
                    if gram in char_index:
                        counts[gram] += 1
                        size += chars[gram] ** 2
            norm = math.sqrt(size) or 1.0
            for gram, n in counts.items():
                columns.append(char_index[gram])
                data.append(n * chars[gram] / norm)
        if "signals" in use:
            for name, value in row.features.signals.items():
                if name in UNTAUGHT:
                    continue
                columns.append(signal_index[name])
                data.append(value)
        pointers.append(len(columns))
    return sparse.csr_matrix((data, columns, pointers), shape=(len(rows), len(signal_index) + len(words) + len(chars)))


@dataclass
class Design:
    """The training rows as a matrix, with the vocabularies it was built from (they do not depend on C)."""
    words: dict[str, float]
    chars: dict[str, float]
    matrix: sparse.csr_matrix
    labels: list[int]
    use: frozenset[str]


def _grams_in(row: Row) -> set[str]:
    return {gram for word in row.features.unigrams for gram in grams_of(word)}


def design(rows: list[Row], use: frozenset[str] = frozenset({"words", "chars", "signals"})) -> Design:
    words = _vocabulary([r.features.words for r in rows], len(rows)) if "words" in use else {}
    chars = _vocabulary([_grams_in(r) for r in rows], len(rows)) if "chars" in use else {}
    return Design(words, chars, _matrix(rows, words, chars, use), [r.label for r in rows], use)


def fit_design(built: Design, c: float) -> LinearModel:
    # liblinear is fast and deterministic; it penalises the intercept like a weight unless it is scaled up
    learner = LogisticRegression(C=c, max_iter=5000, solver="liblinear", intercept_scaling=100, tol=1e-7,
                                 random_state=SEED)
    learner.fit(built.matrix, built.labels)
    weights = learner.coef_[0]
    words, chars = built.words, built.chars
    n_words = len(words)
    return LinearModel(
        intercept=float(learner.intercept_[0]),
        words={g: (idf, float(weights[i])) for i, (g, idf) in enumerate(words.items())},
        chars={g: (idf, float(weights[n_words + i])) for i, (g, idf) in enumerate(chars.items())},
        signals={name: float(weights[n_words + len(chars) + i]) for i, name in enumerate(SIGNALS)
                 if name not in UNTAUGHT} if "signals" in built.use else {},
    )


def fit(rows: list[Row], c: float, use: frozenset[str] = frozenset({"words", "chars", "signals"})) -> LinearModel:
    return fit_design(design(rows, use), c)


def logits(model: LinearModel, rows: list[Row]) -> np.ndarray:
    """Log-odds as the shipped detector gives them: the model plus the hand-set weights and rules
    (`monitors.scoring.complaints.judge`), so the threshold and every figure are about what runs."""
    return np.array([judge(r.features, model=model, explain=False).logit for r in rows])


# Judging ---------------------------------------------------------------------------------------------------------

def figures(predicted, truth) -> dict:
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    tp = int(np.sum(predicted & truth))
    fp = int(np.sum(predicted & ~truth))
    fn = int(np.sum(~predicted & truth))
    tn = len(truth) - tp - fp - fn

    def f1(hits: int, alarms: int, misses: int) -> tuple[float, float, float]:
        precision = hits / (hits + alarms) if hits + alarms else 0.0
        recall = hits / (hits + misses) if hits + misses else 0.0
        return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)

    precision, recall, f_complaint = f1(tp, fp, fn)
    f_other = f1(tn, fn, fp)[2]
    return {"n": len(truth), "macro_f1": round((f_complaint + f_other) / 2, 4), "precision": round(precision, 4),
            "recall": round(recall, 4), "complaint_f1": round(f_complaint, 4)}


def best_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The cut with the best macro-F1; ties go to the cut nearest the middle of its run (least fragile)."""
    candidates = np.unique(scores)
    cuts = (candidates[:-1] + candidates[1:]) / 2 if len(candidates) > 1 else candidates
    results = [figures(scores >= cut, truth)["macro_f1"] for cut in cuts]
    best = max(results)
    winners = [cut for cut, value in zip(cuts, results) if value == best]
    return float(winners[len(winners) // 2])


def _folds(rows: list[Row], k: int, seed: int = SEED):
    """Stratified by label (some domain-and-label groups are smaller than k)."""
    labels = [r.label for r in rows]
    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(rows)), labels)


def choose(rows: list[Row], use: frozenset[str]) -> tuple[float, float]:
    """C and threshold for a model fitted on `rows`, by inner cross-validation on `rows` alone."""
    truth = np.array([r.label for r in rows])
    out_of_fold = {c: np.zeros(len(rows)) for c in C_GRID}
    for train, test in _folds(rows, INNER_FOLDS, seed=SEED + 1):
        built = design([rows[i] for i in train], use)
        held = [rows[i] for i in test]
        for c in C_GRID:
            out_of_fold[c][test] = logits(fit_design(built, c), held)
    best = None
    for c in C_GRID:
        cut = best_threshold(out_of_fold[c], truth)
        value = figures(out_of_fold[c] >= cut, truth)["macro_f1"]
        if best is None or value > best[0]:
            best = (value, c, cut)
    return best[1], best[2]


def train(rows: list[Row], use: frozenset[str] = frozenset({"words", "chars", "signals"})) -> tuple[LinearModel, dict]:
    """Fit on `rows` with C and threshold chosen inside them; the intercept moves so that 0 is the threshold."""
    c, cut = choose(rows, use)
    model = fit(rows, c, use)
    shifted = LinearModel(intercept=model.intercept - cut, words=model.words, chars=model.chars,
                          signals=model.signals)
    return shifted, {"C": c, "threshold_logit": round(cut, 4)}


def lexicon_scores(rows: list[Row]) -> np.ndarray:
    from bench.lexicon_baseline import assess

    return np.array([assess(r.text, r.compound).score for r in rows])


def validate(rows: list[Row], splits, use, lexicon: np.ndarray) -> dict:
    """Pooled held-out figures for the model and, on the same splits, the two baselines."""
    truth = np.array([r.label for r in rows])
    model_says = np.zeros(len(rows), bool)
    lexicon_says = np.zeros(len(rows), bool)
    tested = np.zeros(len(rows), bool)  # rows some split held out (leave-one-domain-out never holds out random ones)
    per_split = []
    for train_index, test_index in splits:
        part = [rows[i] for i in train_index]
        model, _ = train(part, use)
        held = [rows[i] for i in test_index]
        model_says[test_index] = logits(model, held) >= 0  # the held-out rows, as the detector judges them
        cut = best_threshold(lexicon[train_index], truth[train_index])
        lexicon_says[test_index] = lexicon[test_index] >= cut
        tested[test_index] = True
        per_split.append(figures(model_says[test_index], truth[test_index])["macro_f1"])
    vader_says = np.array([r.compound < -0.05 for r in rows])
    return {"model": figures(model_says[tested], truth[tested]), "model_per_split_macro_f1": per_split,
            "lexicon_threshold_in_fold": figures(lexicon_says[tested], truth[tested]),
            "lexicon_at_0.5": figures((lexicon >= 0.5)[tested], truth[tested]),
            "vader_only": figures(vader_says[tested], truth[tested])}


def weights_differ(shipped: dict, refit: dict, tolerance: float = 1e-4) -> str:
    """What differs between two weights files, or "" when they hold the same model.

    The solver is run to a tight tolerance, so a refit lands on the same optimum; the last printed digit can
    still move with the BLAS and platform, so weights are compared within `tolerance`, everything else exactly.
    """
    if shipped["about"] != refit["about"]:
        return f"settings {shipped['about']} against {refit['about']}"
    worst = abs(shipped["intercept"] - refit["intercept"])
    for part in ("signals", "words", "chars"):
        if shipped[part].keys() != refit[part].keys():
            return f"a different set of {part}"
        for key, value in shipped[part].items():
            worst = max(worst, float(np.max(np.abs(np.subtract(value, refit[part][key])))))
    return f"a weight moved by {worst:.2g}" if worst > tolerance else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--check", action="store_true", help="refit and fail if the shipped weights differ")
    parser.add_argument("--skip-validation", action="store_true", help="only fit and write the shipped model")
    parser.add_argument("--ablation", action="store_true", help="also validate without each feature kind")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"no training data at {args.data} (the evaluation samples are beside the checkout, in ../shared)")
        return 2
    started = time.perf_counter()
    rows = read_rows(args.data)
    digest = hashlib.sha256(args.data.read_bytes()).hexdigest()[:16]
    everything = frozenset({"words", "chars", "signals"})
    model, chosen = train(rows)
    about = {"data": args.data.name, "data_sha256_16": digest, "rows": len(rows), **chosen,
             "features": "word 1-2grams, char 3-5grams in words, lexicon/tone/heat/rating signals"}
    model = LinearModel(model.intercept, model.words, model.chars, model.signals, about)
    if args.check:
        problem = weights_differ(load(SHIPPED).to_json(), model.to_json())
        print(f"the shipped weights differ from a refit: {problem}" if problem else "shipped weights reproduced")
        return 1 if problem else 0
    model.save(SHIPPED)
    print(f"wrote {SHIPPED.relative_to(ROOT)} ({SHIPPED.stat().st_size:,} bytes; C={chosen['C']}, "
          f"{len(model.words):,} word and {len(model.chars):,} char n-grams)")
    if args.skip_validation:
        return 0

    results: dict = {"data": args.data.name, "rows": len(rows), "C_grid": list(C_GRID), "inner_folds": INNER_FOLDS}
    lexicon = lexicon_scores(rows)
    results["ten_fold"] = validate(rows, list(_folds(rows, 10)), everything, lexicon)
    industries = sorted({r.domain for r in rows if not r.domain.startswith("random")})
    domains = np.array([r.domain for r in rows])
    lodo = [(np.flatnonzero(domains != d), np.flatnonzero(domains == d)) for d in industries]
    results["leave_one_domain_out"] = validate(rows, lodo, everything, lexicon)
    results["leave_one_domain_out"]["domains"] = industries
    if args.ablation:
        for name in sorted(everything):
            results[f"ten_fold_without_{name}"] = validate(rows, list(_folds(rows, 10)), everything - {name},
                                                           lexicon)["model"]
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name in ("ten_fold", "leave_one_domain_out"):
        part = results[name]
        print(f"{name}: model {part['model']}")
        print(f"  lexicon (threshold in fold) {part['lexicon_threshold_in_fold']}")
        print(f"  lexicon at 0.5 {part['lexicon_at_0.5']}")
        print(f"  VADER only {part['vader_only']}")
    for key, value in results.items():
        if key.startswith("ten_fold_without"):
            print(f"{key}: {value}")
    print(f"{results['seconds']} s; figures in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
