"""Search one twin's approved passages: lexical index in the corpus database, rerank, optional dense rerank."""

from service.search.dense import DenseReranker, reranker_for
from service.search.engine import (
    DEFAULT_CANDIDATES,
    Neighbour,
    batch_record,
    neighbours,
    parse_batch,
    search_as_configured,
    search_passages,
)
from service.search.hits import PassageHit
from service.search.query import ParsedQuery, parse_query
from service.search.rank import DEFAULT_WEIGHTS, RankWeights

__all__ = [
    "DEFAULT_CANDIDATES",
    "DEFAULT_WEIGHTS",
    "DenseReranker",
    "Neighbour",
    "ParsedQuery",
    "PassageHit",
    "RankWeights",
    "batch_record",
    "neighbours",
    "parse_batch",
    "parse_query",
    "reranker_for",
    "search_as_configured",
    "search_passages",
]
