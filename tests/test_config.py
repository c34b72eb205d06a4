"""The settings table: typed values from overrides, UNDERSTUDY_* variables and defaults."""

from __future__ import annotations

import pytest

from service.config import SETTINGS, load_settings


def test_values_have_their_types_whether_given_as_text_or_numbers() -> None:
    env = {"UNDERSTUDY_SEARCH_K": "12", "UNDERSTUDY_SECURE_COOKIES": "no", "UNDERSTUDY_LLM_TIMEOUT": "7"}
    settings = load_settings({"MAX_FILE_MB": 2, "understudy_passage_words": "60"}, environ=env)
    assert settings.search_k == 12 and isinstance(settings.search_k, int)
    assert settings.secure_cookies is False
    assert settings.llm_timeout == 7.0 and isinstance(settings.llm_timeout, float)
    assert settings.max_file_mb == 2.0 and isinstance(settings.max_file_mb, float)
    assert settings.passage_words == 60
    assert settings.max_file_bytes == 2 * 1024 * 1024


def test_every_setting_reads_as_its_declared_type_by_default() -> None:
    settings = load_settings({}, environ={})
    for setting in SETTINGS:
        value = getattr(settings, setting.name.lower())
        if value is not None:
            assert isinstance(value, setting.type), setting.name


def test_settings_are_also_a_mapping_by_name_and_round_trip_through_a_dict() -> None:
    settings = load_settings({"SEARCH_K": 5}, environ={})
    assert settings["SEARCH_K"] == settings["search_k"] == 5
    assert list(settings) == [s.name for s in SETTINGS]
    assert load_settings(dict(settings), environ={}) == settings
    assert settings.replace(search_k=9).search_k == 9
    with pytest.raises(KeyError):
        settings["NO_SUCH_SETTING"]
    with pytest.raises(KeyError, match="unknown setting"):
        load_settings({"NO_SUCH_SETTING": 1}, environ={})


def test_a_value_outside_its_choices_or_type_names_the_variable() -> None:
    with pytest.raises(ValueError, match="UNDERSTUDY_EMBEDDINGS_PRECISION"):
        load_settings({}, environ={"UNDERSTUDY_EMBEDDINGS_PRECISION": "fp16"})
    with pytest.raises(ValueError, match="UNDERSTUDY_SEARCH_K"):
        load_settings({}, environ={"UNDERSTUDY_SEARCH_K": "many"})
