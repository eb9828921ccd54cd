from __future__ import annotations

import pytest

from chwkit.forum.model import ForumValueError, make_session

from .conftest import contribution


@pytest.mark.parametrize("pseudonym", ["P07", "promotora-3", "ac_12"])
def test_pseudonyms_with_a_digit_are_accepted(pseudonym):
    assert contribution(pseudonym=pseudonym).pseudonym == pseudonym


@pytest.mark.parametrize(
    "pseudonym", ["Maria", "María López 1", "", "x" * 40 + "1", "../1", "<b>1</b>", None, 7]
)
def test_names_and_unsafe_pseudonyms_are_refused(pseudonym):
    with pytest.raises(ForumValueError) as info:
        contribution(pseudonym=pseudonym)
    assert info.value.key == "forum.error.pseudonym"
    assert "seudónimo" in info.value.message("es").lower()


@pytest.mark.parametrize(
    "pseudonym", ["Rosa-3", "maria07", "Jose_2", "ANA1", "p3-Juan", "Will4", "guadalupe-9"]
)
def test_pseudonyms_built_on_a_given_name_are_refused_in_both_languages(pseudonym):
    with pytest.raises(ForumValueError) as info:
        contribution(pseudonym=pseudonym)
    assert info.value.key == "forum.error.pseudonym_name"
    assert info.value.message("es") == (
        f"El seudónimo «{pseudonym}» contiene un nombre de pila. Use un código que no"
        " identifique a nadie, por ejemplo P-07."
    )
    assert "holds a given name" in info.value.message("en") and "P-07" in str(info.value)


@pytest.mark.parametrize("pseudonym", ["P-07", "B01", "chw-12", "acomp-4", "w3-10", "grupo2-a"])
def test_codes_that_are_not_names_stay_accepted(pseudonym):
    assert contribution(pseudonym=pseudonym).pseudonym == pseudonym


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"kind": "rumour"}, "forum.error.kind"),
        ({"role": "admin"}, "forum.error.role"),
        ({"themes": []}, "forum.error.themes"),
        ({"themes": "em_housing"}, "forum.error.themes_not_list"),
        ({"themes": ["em_nope"]}, "forum.error.unknown_theme"),
        ({"language": "fr"}, "forum.error.language"),
        ({"text": "   "}, "forum.error.text_empty"),
        ({"text": "a" * 4001}, "forum.error.text_long"),
        ({"consent": None}, "forum.error.consent"),
        ({"consent": {"dataset": "yes", "quote": False, "share_outside": False}},
         "forum.error.consent"),
        ({"uuid": "not-a-uuid"}, "forum.error.uuid"),
    ],
)  # fmt: skip
def test_bad_values_say_what_is_wrong(changes, key):
    with pytest.raises(ForumValueError) as info:
        contribution(**changes)
    assert info.value.key == key


def test_text_keeps_newlines_and_drops_control_characters():
    c = contribution(text="uno\r\ndos\x00\x1b tres\n")
    assert c.text == "uno\ndos tres"


@pytest.mark.parametrize(
    "args, key",
    [
        (("2026-13-01", "mission", "t", "fac-1"), "forum.error.date"),
        (("05/11/2026", "mission", "t", "fac-1"), "forum.error.date"),
        (("2026-11-05", "Mission St", "t", "fac-1"), "forum.error.site"),
        (("2026-11-05", "../x", "t", "fac-1"), "forum.error.site"),
        (("2026-11-05", "mission", "", "fac-1"), "forum.error.topic_empty"),
        (("2026-11-05", "mission", "t", "a b"), "forum.error.facilitator"),
        (("2026-11-05", "mission", "t", "fac-1", "fr"), "forum.error.language"),
        (("2026-11-05", "mission", "t", "fac-1", "es", -3), "forum.error.attendance"),
        # A topic is shown on the landing page and lands in the dataset: no identifiers.
        (
            ("2026-11-05", "mission", "Llamar al 415-555-0134", "fac-1"),
            "forum.error.topic_identifier",
        ),
        (
            ("2026-11-05", "mission", "Dudas de ana.lopez@example.org", "fac-1"),
            "forum.error.topic_identifier",
        ),
        (
            ("2026-11-05", "mission", "Paciente nacido el 12/03/1961", "fac-1"),
            "forum.error.topic_identifier",
        ),
        (
            ("2026-11-05", "mission", "Expediente MRN 00482913", "fac-1"),
            "forum.error.topic_identifier",
        ),
    ],
)
def test_bad_session_values_are_refused(args, key):
    with pytest.raises(ForumValueError) as info:
        make_session(*args)
    assert info.value.key == key


def test_a_topic_with_an_identifier_says_what_was_found_in_both_languages():
    with pytest.raises(ForumValueError) as info:
        make_session("2026-11-05", "mission", "Llamar al 415-555-0134", "fac-1")
    assert "415-555-0134" in info.value.message("es") and "tema" in info.value.message("es")
    assert "topic" in info.value.message("en")


def test_themes_written_as_a_string_say_they_must_be_a_list():
    with pytest.raises(ForumValueError) as info:
        contribution(themes="wb_team")
    assert "lista" in info.value.message("es") and "wb_team" in info.value.message("es")
    assert "Choose at least one theme" not in str(info.value)
