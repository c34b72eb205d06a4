"""Grouping questions by meaning and naming the groups: the search model's vectors (cached), average-linkage
clustering on cosine similarity, and the key phrase of a question that names its group. No database."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from service.config import Settings
from service.search.memory import VectorMemory
from textkit.stopwords import CONTENT_STOP_WORDS, QUESTION_FILLER, word_set

NAME_MAX_WORDS = 8
Embed = Callable[[list[str]], np.ndarray]


# Questions' vectors per model, remembered: a map is drawn again and again over the same log.
GAP_VECTORS = VectorMemory(50_000)


def embedder_for(settings: Settings) -> tuple[str, Embed] | None:
    """(model name, embed function) of the search model, or None when semantic search is off or unavailable."""
    from service.search.dense import reranker_for

    reranker = reranker_for(settings)
    if reranker is None:
        return None
    return reranker.model, reranker.embed


def embed_cached(model: str, embed: Embed, texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of `texts`, remembered per model."""
    return GAP_VECTORS.vectors(embed, texts, model=model)


def group_by_meaning(vectors: np.ndarray, similarity: float) -> list[int]:
    """Cluster labels (0, 1, … in order of first member) of unit vectors: average linkage on cosine distance, cut
    where groups would join at less than `similarity`."""
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [0]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = np.clip(np.nan_to_num(pdist(vectors.astype(np.float64), metric="cosine"), nan=1.0), 0.0, 2.0)
    tree = linkage(distances, method="average")
    raw = fcluster(tree, t=1.0 - similarity, criterion="distance")
    relabel: dict[int, int] = {}
    return [relabel.setdefault(int(label), len(relabel)) for label in raw]


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


# Words that make a run of words a clause rather than a name: auxiliaries, and pronouns with a verb attached.
_CLAUSAL = word_set("""am is are was were be been being do does did have has had will would shall should can could
may might must""")


def _clausal(word: str) -> bool:
    lowered = word.lower().replace("’", "'")
    return lowered in _CLAUSAL or ("'" in lowered and not lowered.endswith("'s")) or lowered in {
        "she's", "he's", "it's", "that's", "there's", "what's", "who's"}


_TOKEN = re.compile(r"[#\w][\w'’%$().-]*[\w%)]|[#\w]|[^\w\s]")
_BREAK = set(",;:?!.()\"“”")


def key_phrase_candidates(question: str, max_words: int = NAME_MAX_WORDS) -> list[str]:
    """Word runs of a question that could name it: inside one clause, opening and closing on content words, and
    standing on phrase boundaries (after and before a function word, a comma or the clause's ends)."""
    tokens = _TOKEN.findall(question)
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token in _BREAK:
            clauses.append([])
        else:
            clauses[-1].append(token)
    filler = CONTENT_STOP_WORDS | QUESTION_FILLER

    def weak(word: str) -> bool:
        return word.lower().strip("'’") in filler

    found: list[str] = []
    for clause in clauses:
        for start in range(len(clause)):
            if weak(clause[start]) or (start > 0 and not weak(clause[start - 1])):
                continue
            for end in range(start + 1, min(len(clause), start + max_words) + 1):
                if weak(clause[end - 1]) or (end < len(clause) and not weak(clause[end])):
                    continue
                if any(_clausal(word) for word in clause[start + 1:end - 1]):
                    continue  # "bonuses be paid", "she's left": a clause, not a name
                phrase = " ".join(clause[start:end])
                if phrase not in found:
                    found.append(phrase)
    return found


def key_phrase(question: str, centroid: np.ndarray, embed: Callable[[list[str]], np.ndarray]) -> str:
    """The run of the question's words closest in meaning to its whole group (a little credit for being specific)."""
    candidates = key_phrase_candidates(question)
    if not candidates:
        return question
    vectors = embed(candidates)
    scores = vectors @ centroid + 0.015 * np.array([min(len(c.split()), 4) for c in candidates])
    return candidates[int(np.argmax(scores))]


def readable(phrase: str) -> str:
    """A phrase as a heading: first letter in capitals, the rest as asked."""
    return phrase[:1].upper() + phrase[1:] if phrase else phrase
