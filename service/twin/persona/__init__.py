"""The persona: settings a curator owns (settings), the checks on a curator's edit and their limits (validation), and
a style profile derived from the approved corpus (style)."""

from service.twin.persona.settings import (
    CURATOR_KEYS,
    DEFAULT_DISCLAIMER,
    DEFAULT_NO_ANSWER,
    DEFAULT_OPENERS,
    DEFAULT_PRONOUN,
    DEFAULT_REFUSAL,
    DEFAULT_TOPICS,
    DERIVED_KEYS,
    NAME_PATTERN,
    NOT_NAMES,
    PERSON_NAME_RE,
    PRONOUNS,
    RE2_MAX_MEM,
    RETIRED_TOPIC_PATTERNS,
    PersonaSettings,
    RefusedTopic,
    compile_topic_pattern,
    default_persona_dict,
    fresh_persona_settings,
    keyword_pattern,
    mentions_person,
    persona_settings,
)
from service.twin.persona.style import (
    ASIDE_RE,
    PHRASE_BAD_ENDS,
    PHRASE_BAD_STARTS,
    PROFILE_AUDIENCE,
    STYLE_SAMPLE_PASSAGES,
    StyleProfile,
    build_style_profile,
    corpus_fingerprint,
    executive_documents,
    refresh_persona,
)
from service.twin.persona.validation import (
    MAX_LIST_ITEM_CHARS,
    MAX_LIST_ITEMS,
    MAX_MESSAGE_CHARS,
    MAX_PATTERN_CHARS,
    MAX_TOPIC_PATTERNS,
    MAX_TOPICS,
    validate_persona_changes,
)

__all__ = [
    "ASIDE_RE", "CURATOR_KEYS", "DEFAULT_DISCLAIMER", "DEFAULT_NO_ANSWER", "DEFAULT_OPENERS", "DEFAULT_PRONOUN",
    "DEFAULT_REFUSAL", "DEFAULT_TOPICS", "RETIRED_TOPIC_PATTERNS", "DERIVED_KEYS", "MAX_LIST_ITEMS", "MAX_LIST_ITEM_CHARS", "MAX_MESSAGE_CHARS",
    "MAX_PATTERN_CHARS", "MAX_TOPICS", "MAX_TOPIC_PATTERNS", "NAME_PATTERN", "NOT_NAMES", "PERSON_NAME_RE",
    "PHRASE_BAD_ENDS", "PHRASE_BAD_STARTS", "PROFILE_AUDIENCE", "PRONOUNS", "RE2_MAX_MEM", "STYLE_SAMPLE_PASSAGES",
    "PersonaSettings", "RefusedTopic", "StyleProfile", "build_style_profile", "compile_topic_pattern",
    "corpus_fingerprint", "default_persona_dict", "executive_documents", "fresh_persona_settings", "keyword_pattern",
    "mentions_person", "persona_settings", "refresh_persona", "validate_persona_changes",
]
