"""E-mail (.eml): only the sender's own words; quoted replies, forwards and signatures are dropped."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from bs4 import Tag

from ingestion.model import IngestError
from ingestion.parsers import ParsedFile, join_paragraphs, squash
from ingestion.parsers.text import html_paragraphs, make_soup, split_paragraphs

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{0,60}:")
_KNOWN_HEADERS = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"received:", b"mime-version:",
                  b"return-path:", b"delivered-to:", b"cc:", b"reply-to:", b"content-type:")

# Where someone else's words begin: everything from such a line on is not the sender's.
_REPLY_HEADER = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE)
_REPLY_HEADER_START = re.compile(r"^\s*On\s.{0,200}$", re.IGNORECASE)
_REPLY_HEADER_END = re.compile(r"^.{0,200}\bwrote:\s*$", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|Forwarded by)\b.*$", re.IGNORECASE)
_FORWARDED = re.compile(r"^\s*Begin forwarded message:?\s*$", re.IGNORECASE)
_UNDERSCORE_RULE = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\**From:\**\s+\S", re.IGNORECASE)
_OUTLOOK_FOLLOWERS = re.compile(r"^\s*\**(Sent|Date|To|Cc|Subject):\**\s", re.IGNORECASE)
_QUOTED = re.compile(r"^\s*>")
# Signature delimiter ("-- ") and sign-off lines that start the closing block.
_SIG_DELIMITER = re.compile(r"^--\s*$")
_SIGN_OFF = re.compile(
    r"^\s*(best|best regards|kind regards|warm regards|warmest regards|regards|many thanks|thanks|thank you|"
    r"thanks again|cheers|sincerely|sincerely yours|yours|yours truly|all the best|talk soon|warmly|"
    r"respectfully|with thanks|take care|onward|more soon)\s*[,.!]*\s*$",
    re.IGNORECASE,
)
_DEVICE_FOOTER = re.compile(r"^\s*(sent from my \w+|get outlook for \w+).*$", re.IGNORECASE)
_DASH_NAME = re.compile(r"^\s*[-\u2013\u2014~]\s*\w[\w .'-]{0,40}$")
# A sign-off is only taken as one near the end of the message.
_SIGN_OFF_WINDOW = 6
_SIGNATURE_LINE_CHARS = 60
_SIGNATURE_BLOCK_CHARS = 100
_SIGNED_NAME_WINDOW = 4
_NAME_WORD = re.compile(r"[^\W\d_]+")

_QUOTE_CLASSES = ("gmail_quote", "gmail_signature", "moz-cite-prefix", "yahoo_quoted", "OutlookMessageHeader")
_QUOTE_IDS = ("divRplyFwdMsg", "appendonsend", "Signature", "ms-outlook-mobile-signature")


def looks_like_email(data: bytes) -> bool:
    """True when the bytes open with RFC 5322 headers that an e-mail has."""
    head = data[:4096].lstrip(b"\r\n")
    first_lines = head.split(b"\n", 30)[:30]
    if not first_lines or not _HEADER_LINE.match(first_lines[0]):
        return False
    return any(line.lower().startswith(_KNOWN_HEADERS) for line in first_lines)


def parse_eml(data: bytes, filename: str) -> ParsedFile:
    """The sender's own paragraphs (`¶ N`), title from Subject, date from the Date header, sender as speaker."""
    if not looks_like_email(data):
        raise IngestError(
            "mislabelled",
            f"{filename} is named .eml but does not start with e-mail headers (From, To, Subject, Date). "
            "Save the message from the mail client as .eml, or upload it as .txt.",
        )
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    metadata: dict[str, str] = {}
    from_name, from_address = _sender(message)
    if from_address:
        metadata["from_address"] = from_address
    if from_name:
        metadata["from_name"] = from_name
    metadata["from"] = _header(message, "from")
    for key in ("to", "cc", "subject", "message-id"):
        value = _header(message, key)
        if value:
            metadata[key.replace("-", "_")] = value
    attachments = [part.get_filename() or "unnamed" for part in message.iter_attachments()]
    if attachments:
        metadata["attachments"] = ", ".join(str(name) for name in attachments)
    date = None
    try:
        header = message["date"]
        moment = getattr(header, "datetime", None)
        if moment is not None:
            date = moment.date()
    except (TypeError, ValueError, IndexError, AttributeError):
        date = None
    paragraphs = own_paragraphs(message, sender=" ".join((from_name, from_address.split("@")[0])))
    speaker = from_name or from_address or None
    block = join_paragraphs([(f"\u00b6 {n}", para) for n, para in enumerate(paragraphs, 1)], speaker=speaker)
    subject = squash(metadata.get("subject", ""))
    return ParsedFile(blocks=[block] if block else [], title=subject or None, date=date, metadata=metadata)


def _header(message: EmailMessage, name: str) -> str:
    """A header as text, or '' when absent or unparseable."""
    try:
        value = message.get(name)
    except (TypeError, ValueError, IndexError, AttributeError):
        return ""
    return squash(str(value)) if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str, str]:
    """(display name, address) of the From header."""
    raw = _header(message, "from")
    if not raw:
        return "", ""
    try:
        pairs = getaddresses([raw])
    except (TypeError, ValueError, IndexError):
        pairs = [parseaddr(raw)]
    name, address = pairs[0] if pairs else ("", "")
    return squash(name), address.strip().lower()


def own_paragraphs(message: EmailMessage, sender: str = "") -> list[str]:
    """The paragraphs the sender wrote in this message's main text part; `sender` names them, to spot a signature."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return []
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError, UnicodeError):
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return []
    if body.get_content_subtype() == "html":
        return _own_html_paragraphs(content, sender)
    return split_paragraphs("\n".join(strip_quoted_and_signature(content.split("\n"), sender)))


def strip_quoted_and_signature(lines: list[str], sender: str = "") -> list[str]:
    """The lines before any quoted reply, forwarded message or signature; `>` lines removed."""
    lines = [line.rstrip("\r") for line in lines]
    end = len(lines)
    for index, line in enumerate(lines):
        if (_ORIGINAL_MESSAGE.match(line) or _FORWARDED.match(line) or _REPLY_HEADER.match(line)
                or _SIG_DELIMITER.match(line) or _DEVICE_FOOTER.match(line)):
            end = index
            break
        if _REPLY_HEADER_START.match(line) and index + 1 < len(lines) and _REPLY_HEADER_END.match(lines[index + 1]):
            end = index
            break
        if _UNDERSCORE_RULE.match(line) and _outlook_block_follows(lines, index + 1):
            end = index
            break
        if _OUTLOOK_FROM.match(line) and _outlook_block_follows(lines, index):
            end = index
            break
    kept = [line for line in lines[:end] if not _QUOTED.match(line)]
    return _drop_sign_off(_drop_signed_name(kept, sender))


def _outlook_block_follows(lines: list[str], start: int) -> bool:
    """True when a From: line at or after `start` is followed by Sent:/Date:/To:/Subject: header lines."""
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or not _OUTLOOK_FROM.match(lines[index]):
        return False
    return any(_OUTLOOK_FOLLOWERS.match(line) for line in lines[index + 1:index + 4])


def _drop_signed_name(lines: list[str], sender: str) -> list[str]:
    """Cut the sender's name and what follows it ("Dana", "Dana Reyes | CEO | Halvorsen") off the end."""
    names = {word.lower() for word in _NAME_WORD.findall(sender)}
    if not names:
        return lines
    content = [index for index, line in enumerate(lines) if line.strip()]
    # Never the first line: "Sam," there is a greeting, not a signature.
    window = content[1:][-_SIGNED_NAME_WINDOW:]
    for position, index in enumerate(window):
        # The name part of a signature line ends at the first separator: "Dana Reyes | Chief ...".
        head = re.split(r"[|,\u2013\u2014]| - ", lines[index].strip().lstrip("-\u2013\u2014~ "), maxsplit=1)[0]
        words = [word.lower() for word in _NAME_WORD.findall(head)]
        after = window[position + 1:]
        if (words and len(words) <= 4 and set(words) <= names
                and all(len(lines[i].strip()) <= _SIGNATURE_BLOCK_CHARS for i in after)):
            return lines[:index]
    return lines


def _drop_sign_off(lines: list[str]) -> list[str]:
    """Cut a closing block ("Thanks," / "Best, Dana" / "- D") off the end of the message."""
    content = [index for index, line in enumerate(lines) if line.strip()]
    if not content:
        return lines
    for position, index in enumerate(content[-_SIGN_OFF_WINDOW:]):
        after = content[-_SIGN_OFF_WINDOW:][position + 1:]
        # Only a name, title or phone number may follow a sign-off; a real paragraph means it was not one.
        if _SIGN_OFF.match(lines[index]) and all(len(lines[i].strip()) <= _SIGNATURE_LINE_CHARS for i in after):
            return lines[:index]
    last = content[-1]
    if _DASH_NAME.match(lines[last]):
        return lines[:last]
    return lines


def _own_html_paragraphs(markup: str, sender: str = "") -> list[str]:
    """Paragraphs of an HTML body without blockquotes and the quote wrappers mail clients add."""
    soup = make_soup(markup)

    def quoted(tag: Tag) -> bool:
        if tag.name == "blockquote":
            return True
        raw: object = tag.get("class") or []
        classes = raw.split() if isinstance(raw, str) else [str(name) for name in raw] if isinstance(raw, list) else []
        if any(name in _QUOTE_CLASSES for name in classes):
            return True
        return str(tag.get("id") or "") in _QUOTE_IDS

    texts = [text for _, text in html_paragraphs(soup, drop=quoted)]
    return [para for para in (squash(line) for line in strip_quoted_and_signature(texts, sender)) if para]
