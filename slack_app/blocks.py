"""Block Kit rendering of answers, sources, rehearsals and modals; every piece of user or model text escaped."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from service.rehearsal.pushback import NO_PUSH_BACK
from slack_app.escape import escape, fit, mrkdwn, plain, quoted

# Slack's limits: a section's text, a message's blocks, a modal's blocks, private_metadata.
SECTION_CHARS = 3000
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
QUOTE_CHARS = 600
# Beyond this many sources, or this many characters of quotes, the sources fold behind "Show sources".
INLINE_SOURCES = 3
INLINE_SOURCE_CHARS = 1200
FALLBACK_CHARS = 300

SHARE_ACTION = "share_answer"
SOURCES_ACTION = "show_sources"
HELPFUL_ACTION = "feedback_helpful"
NOT_HELPFUL_ACTION = "feedback_not_helpful"
FEEDBACK_VIEW = "feedback_reason"
REHEARSE_VIEW = "rehearse_submit"
PITCH_TEXT_BLOCK, PITCH_TEXT_ACTION = "pitch_text", "text"
PITCH_FILE_BLOCK, PITCH_FILE_ACTION = "pitch_file", "file"
REASON_BLOCK, REASON_ACTION = "reason", "text"
# The files a pitch may come in, as on the web page and in the CLI.
PITCH_FILETYPES = ["docx", "pdf", "md", "txt"]


def section(text: str) -> dict[str, Any]:
    """A section of already-escaped mrkdwn."""
    return {"type": "section", "text": mrkdwn(text[:SECTION_CHARS])}


def context(text: str) -> dict[str, Any]:
    """A context block of already-escaped mrkdwn."""
    return {"type": "context", "elements": [mrkdwn(text[:SECTION_CHARS])]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A button whose value carries what it acts on."""
    element: dict[str, Any] = {"type": "button", "text": plain(label), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def fallback_text(text: str) -> str:
    """The notification text shown where blocks are not: escaped and short."""
    return fit(" ".join((text or "").split()), FALLBACK_CHARS)


def source_line(citation: dict[str, Any], quote_chars: int = QUOTE_CHARS) -> str:
    """One numbered source: title, date, locator and the quoted words."""
    parts = [f"*[{int(citation.get('n', 0))}]* *{fit(str(citation.get('title') or 'Untitled'), 200)}*"]
    for key in ("date", "locator"):
        if citation.get(key):
            parts.append(fit(str(citation[key]), 100))
    head = " · ".join(parts)
    quote = citation.get("quote") or ""
    return f"{head}\n{quoted(quote, quote_chars)}" if quote else head


def sources_fit_inline(citations: Sequence[dict[str, Any]]) -> bool:
    """Whether the sources are short enough to show under the answer."""
    return len(citations) <= INLINE_SOURCES and sum(len(c.get("quote") or "") for c in citations) <= INLINE_SOURCE_CHARS


def source_sections(citations: Iterable[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Sections holding the numbered sources, each as full as Slack allows, at most `limit` of them."""
    blocks: list[dict[str, Any]] = []
    current = ""
    for citation in citations:
        line = source_line(citation)
        if current and len(current) + 2 + len(line) > SECTION_CHARS:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n\n{line}" if current else line
    if current:
        blocks.append(section(current))
    if len(blocks) > limit:
        blocks = blocks[: max(limit - 1, 0)] + [context("_More sources than Slack can show here._")]
    return blocks


def answer_blocks(answer: dict[str, Any], *, twin_name: str, interaction_id: int, can_share: bool,
                  question: str | None = None, shared_by: str | None = None) -> list[dict[str, Any]]:
    """An answer: the text, numbered sources (folded when long), the disclaimer, and its buttons."""
    blocks: list[dict[str, Any]] = []
    if question:
        blocks.append(context(f"*You asked {fit(twin_name, 100)}'s twin:* {fit(question, 500)}"))
    if shared_by:
        blocks.append(context(f"Shared by <@{escape(shared_by)}> from {fit(twin_name, 100)}'s twin"))
    blocks.append(section(fit(answer.get("answer") or "", SECTION_CHARS)))
    citations = list(answer.get("citations") or [])
    if citations and sources_fit_inline(citations):
        blocks += source_sections(citations, limit=3)
    elif citations:
        titles = "; ".join(dict.fromkeys(str(c.get("title") or "Untitled") for c in citations))
        blocks.append({"type": "section", "text": mrkdwn(f"*{len(citations)} sources:* {fit(titles, 500)}"),
                       "accessory": button("Show sources", SOURCES_ACTION, str(interaction_id))})
    if answer.get("disclaimer"):
        blocks.append(context(fit(answer["disclaimer"], SECTION_CHARS)))
    if answer.get("basis_label"):
        blocks.append(context(f"*Stands on:* {fit(str(answer['basis_label']), 100)}"))
    elements = [button("Helpful", HELPFUL_ACTION, str(interaction_id)),
                button("Not helpful", NOT_HELPFUL_ACTION, str(interaction_id))]
    if can_share:
        elements.append(button("Share in channel", SHARE_ACTION, str(interaction_id), style="primary"))
    blocks.append({"type": "actions", "block_id": "answer_actions", "elements": elements})
    return blocks


def sources_view(answer: dict[str, Any], twin_name: str) -> dict[str, Any]:
    """A modal listing every source of an answer."""
    blocks = [context(f"Sources of {fit(twin_name, 100)}'s twin's answer")]
    blocks += source_sections(answer.get("citations") or [], limit=MODAL_BLOCKS - 2)
    return {"type": "modal", "title": plain("Sources", 24), "close": plain("Close", 24), "blocks": blocks}


def feedback_view(interaction_id: int, helpful: bool, *, curator: bool = False) -> dict[str, Any]:
    """A modal thanking for the rating and asking, optionally, why; a curator is told where to correct it."""
    verdict = "helpful" if helpful else "not helpful"
    correct = [section("You curate this twin: to say what it should have said, open *Curate → Unanswered & "
                       "feedback* in Understudy and choose *Correct the answer…* on this question.")] if curator else []
    return {
        "type": "modal", "callback_id": FEEDBACK_VIEW, "title": plain("Feedback", 24),
        "submit": plain("Send", 24), "close": plain("Skip", 24),
        "private_metadata": json.dumps({"interaction_id": interaction_id, "helpful": helpful}),
        "blocks": [
            section(f"Thanks: recorded as *{verdict}*. The communications team reads every reason."),
            {"type": "input", "block_id": REASON_BLOCK, "optional": True, "label": plain("Why? (optional)"),
             "element": {"type": "plain_text_input", "action_id": REASON_ACTION, "multiline": True,
                         "max_length": 2000}},
            *correct,
        ],
    }


def rehearse_view(twin_slug: str, twin_name: str, channel_id: str | None) -> dict[str, Any]:
    """The /rehearse modal: paste the pitch or attach a .docx, .pdf, .md or .txt file."""
    return {
        "type": "modal", "callback_id": REHEARSE_VIEW, "title": plain("Rehearse a pitch", 24),
        "submit": plain("Rehearse", 24), "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"twin": twin_slug, "channel": channel_id}),
        "blocks": [
            section(f"{fit(twin_name, 100)}'s twin will read your pitch and send you, in a direct message, the "
                    "questions they would ask, where they would push back, and a scorecard. Reply in that thread "
                    "to play the next round."),
            {"type": "input", "block_id": PITCH_TEXT_BLOCK, "optional": True, "label": plain("Paste your pitch"),
             "element": {"type": "plain_text_input", "action_id": PITCH_TEXT_ACTION, "multiline": True}},
            {"type": "input", "block_id": PITCH_FILE_BLOCK, "optional": True,
             "label": plain("…or attach it (.docx, .pdf, .md or .txt)"),
             "element": {"type": "file_input", "action_id": PITCH_FILE_ACTION, "filetypes": PITCH_FILETYPES,
                         "max_files": 1}},
        ],
    }


def _cite(citation: dict[str, Any] | None) -> str:
    return f" [{int(citation['n'])}]" if citation and citation.get("n") else ""


def rehearsal_blocks(result: dict[str, Any], twin_name: str) -> list[dict[str, Any]]:
    """The twin's first reaction to a pitch: questions, push-back, scorecard, sources, disclaimer."""
    name = fit(twin_name, 100)
    blocks: list[dict[str, Any]] = []
    questions = result.get("questions") or []
    if questions:
        lines = [f"{int(q.get('n', i + 1))}. {fit(q.get('question') or '', 400)}"
                 + (f" _({fit(q['context'], 200)})_" if q.get("context") else "") + _cite(q.get("citation"))
                 for i, q in enumerate(questions)]
        blocks.append(section(_join(f"*Questions {name} would ask*", lines)))
    else:
        blocks.append(section(f"*{name}'s twin found no questions of theirs that bear on this pitch.*"))
    push_back = result.get("push_back") or []
    if push_back:
        # A clash is marked as the web page and the CLI mark it.
        lines = [f"• _{escape(str(p.get('priority') or ''))}_"
                 + (" *(your pitch contradicts this)*" if p.get("contradicts") else "")
                 + f" {fit(p.get('why') or '', 400)}{_cite(p.get('citation'))}" for p in push_back]
        blocks.append(section(_join(f"*Where {name} would push back*", lines)))
    else:
        blocks.append(section(_join(f"*Where {name} would push back*", [NO_PUSH_BACK])))
    scorecard = result.get("scorecard") or {}
    if scorecard:
        lines = [f"• {fit(c.get('label') or c.get('key') or '', 80)}: *{number(c.get('score'))}/{number(c.get('max'))}*"
                 f" — {fit(c.get('reason') or '', 300)}" for c in scorecard.get("criteria") or []]
        head = f"*Scorecard: {number(scorecard.get('total'))} of {number(scorecard.get('max'))}*"
        blocks.append(section(_join(head, lines)))
    blocks += source_sections(result.get("citations") or [], limit=MESSAGE_BLOCKS - len(blocks) - 2)
    if result.get("disclaimer"):
        blocks.append(context(fit(result["disclaimer"], SECTION_CHARS)))
    return blocks


def first_round_blocks(result: dict[str, Any], twin_name: str) -> list[dict[str, Any]]:
    """The question on the table for round one, and how to answer it."""
    questions = result.get("questions") or []
    rounds = int(result.get("max_rounds") or 0)
    if not questions:
        return [section(f"Reply in this thread with anything else {fit(twin_name, 100)} should know, and the twin "
                        "will react.")]
    first = questions[0]
    return [section(f"*Round 1 of {rounds}.* {fit(first.get('question') or '', 800)}{_cite(first.get('citation'))}"),
            context("Reply in this thread to answer.")]


def turn_blocks(turn: dict[str, Any]) -> list[dict[str, Any]]:
    """The twin's reaction to one reply: follow-up, acceptance or the closing summary, with sources."""
    from service.rehearsal.engine import set_out

    head = f"*Round {int(turn.get('round') or 0)} of {int(turn.get('max_rounds') or 0)}.* "
    closing = set_out(turn)
    if closing is None:
        blocks = [section(head + fit(turn.get("text") or "", SECTION_CHARS - len(head)))]
    else:  # the summary a line a point, not run into one paragraph
        reaction, lines, prepare = closing
        blocks = [section(head + fit(reaction, SECTION_CHARS - len(head))),
                  section(_join("*Summary*", [fit(line, SECTION_CHARS) for line in lines]
                                + (["*Prepare for*"] + [f"• {fit(q, 800)}" for q in prepare] if prepare else [])))]
    blocks += source_sections(turn.get("citations") or [], limit=MESSAGE_BLOCKS - 2 - len(blocks))
    if turn.get("done"):
        blocks.append(context("This rehearsal is finished. Start another with `/rehearse`."))
    else:
        blocks.append(context("Reply in this thread to answer."))
    if turn.get("disclaimer"):
        blocks.append(context(fit(turn["disclaimer"], SECTION_CHARS)))
    return blocks


def notice_blocks(text: str) -> list[dict[str, Any]]:
    """A short message from the app itself (errors, refusals, confirmations), escaped."""
    return [section(fit(text, SECTION_CHARS))]


def _join(head: str, lines: list[str]) -> str:
    text = head
    for line in lines:
        if len(text) + 1 + len(line) > SECTION_CHARS:
            break
        text += "\n" + line
    return text


def number(value: Any) -> str:
    """A score as Slack shows it: 3, 3.5, or ? when missing."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return "?"
