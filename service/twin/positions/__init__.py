"""Positions with their dates: when approved sources of different dates disagree on the point asked about, the
answer gives the newest position first and the earlier one after, both cited with their dates.

"Same point" is decided by meaning (the statements' sentence vectors are close, and both are close to the
question); "different position" by what changes between them: key figures (numbers with their unit), a reversal
said in the later one ("no longer", "instead", "we are pausing…"), or the opposite polarity (one is negated). A
curator's mark (source A's position is superseded by the later source B) makes the pair a change whatever the
wording. Agreeing statements are left alone: the answer never says "earlier I said" for them.
"""

from service.twin.positions.change import (
    PositionChange,
    Revisions,
    Scorer,
    Statement,
    find_change,
    sentence_pool,
)
from service.twin.positions.compose import (
    BASIS_LABELS,
    KIND_NAMES,
    RULE,
    _lead,
    basis,
    basis_label,
    checked,
    complete,
    compose,
    dated_text,
    earlier_sentence,
    instruct,
    numbers_of,
    order_check,
    order_for_model,
    order_problem,
    shown,
    source_label,
    when,
)
from service.twin.positions.corpus import DetectedRevision, apply, detect_revisions, revision_report
from service.twin.positions.detect import differs, figures, states_position

__all__ = [
    "BASIS_LABELS", "KIND_NAMES", "RULE", "DetectedRevision", "PositionChange", "Revisions", "Scorer", "Statement",
    "_lead", "apply", "basis", "basis_label", "checked", "complete", "compose", "dated_text", "detect_revisions",
    "differs", "earlier_sentence", "figures", "find_change", "instruct", "numbers_of", "order_check",
    "order_for_model", "order_problem", "revision_report", "sentence_pool", "shown", "source_label",
    "states_position", "when",
]
