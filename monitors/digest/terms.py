"""Which words drive negative mentions (pure): in how many negative posts each word appears, leaving out
stopwords, the brands' own names and query terms, links and handles."""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?", re.UNICODE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w[\w.@-]*", re.UNICODE)
_QUERY_WORD = re.compile(r"[^\W_][\w'’-]*", re.UNICODE)
_OPERATORS = {"and", "or", "not"}
MIN_LENGTH = 3

STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each even
ever every few for from further get gets getting got had hadn't has hasn't have haven't having he he'd he'll he's
her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its
itself just know let's like make made many me more most much must mustn't my myself need never new no nor not now
of off on once one only or other ought our ours ourselves out over own really said same say says see seems shan't
she she'd she'll she's should shouldn't since so some still such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've thing things think this those though
through to today too under until up upon us use used very via was wasn't way we we'd we'll we're we've well were
weren't what what's when when's where where's which while who who's whom why why's will with within without won't
would wouldn't yet you you'd you'll you're you've your yours yourself yourselves yes yeah got going want wants
anyone anything everyone everything someone something back time day days again already always another around
""".split())


def words(text: str) -> set[str]:
    """The distinct words of a text, lower-cased, links and @handles removed."""
    cleaned = _NOISE.sub(" ", text.casefold())
    return {w.replace("’", "'").strip("'-") for w in _WORD.findall(cleaned)}


def brand_terms(names_and_queries: Iterable[tuple[str, str]]) -> set[str]:
    """Every word of the brands' names and queries (operators aside): they are what matched, not what drove it."""
    found: set[str] = set()
    for name, query in names_and_queries:
        for word in _QUERY_WORD.findall(f"{name} {query}".casefold()):
            word = word.replace("’", "'").strip("'-")
            if word and word not in _OPERATORS:
                found.add(word)
                found.add(word + "s")  # 'acmes', the usual plural or possessive left after stripping
    return found


def _counts(word: str, exclude: set[str]) -> bool:
    base = word[:-2] if word.endswith("'s") else word  # "acme's" is the brand too
    return len(base) >= MIN_LENGTH and base not in STOPWORDS and word not in STOPWORDS and base not in exclude


def top_terms(texts: Iterable[str], *, exclude: set[str], limit: int = 8, min_posts: int = 2
              ) -> list[tuple[str, int]]:
    """(word, posts it appears in), most frequent first; ties in alphabetical order. A word must appear in at
    least `min_posts` posts, so one rant does not set the agenda."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(words(text))
    # judge each distinct word once, not each occurrence
    ranked = sorted(((w, n) for w, n in counts.items() if n >= min_posts and _counts(w, exclude)),
                    key=lambda item: (-item[1], item[0]))
    return ranked[:limit]
