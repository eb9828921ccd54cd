from __future__ import annotations

import pytest

from chwkit.core.i18n import catalog
from chwkit.forum.codebook import SOURCES, CodebookError, codebook, load_codebook

C3_SKILLS = [
    "communication",
    "interpersonal",
    "service_coordination",
    "capacity_building",
    "advocacy",
    "education_facilitation",
    "assessment",
    "outreach",
    "professional_conduct",
    "evaluation_research",
    "knowledge_base",
]


def test_codebook_holds_c3_roles_skills_wellbeing_and_emergent_themes():
    book = codebook()
    by_source = {s: [t for t in book.themes.values() if t.source == s] for s in SOURCES}
    assert len([t for t in by_source["c3_role"] if t.parent]) == 10
    assert len([t for t in by_source["c3_skill"] if t.parent]) == 11
    for code in ("wb_mindfulness", "wb_gratitude", "wb_purpose", "wb_creativity", "wb_team"):
        assert book[code].source == "wellbeing"
    for code in ("em_coverage_enrollment", "em_immigration_fear", "em_housing", "em_burnout",
                 "em_food_insecurity", "em_transportation", "em_language_access",
                 "em_documentation_burden"):  # fmt: skip
        assert book[code].source == "emergent"


def test_c3_labels_are_the_catalogs_word_for_word():
    book, cat = codebook(), catalog()
    for n in range(1, 11):
        theme = book[f"c3_role_{n}"]
        assert (theme.label_es, theme.label_en) == (
            cat[f"c3.role.{n}"]["es"],
            cat[f"c3.role.{n}"]["en"],
        )
    for key in C3_SKILLS:
        theme = book[f"c3_skill_{key}"]
        assert (theme.label_es, theme.label_en) == (
            cat[f"c3.skill.{key}"]["es"],
            cat[f"c3.skill.{key}"]["en"],
        )


def test_pick_list_offers_leaves_only():
    book = codebook()
    assert "emergent" not in book.leaves() and "em_sdoh" not in book.leaves()
    assert "em_housing" in book.leaves()
    assert book.group_label("em_housing", "es") == "Determinantes sociales de la salud › Vivienda"


@pytest.mark.parametrize(
    "row, message",
    [
        ("Bad Code,,a,b,c,emergent", "invalid code"),
        ("x1,,a,b,c,folklore", "source must be"),
        ("x1,nowhere,a,b,c,emergent", "parent 'nowhere'"),
        ("x1,,,b,c,emergent", "required"),
    ],
)
def test_malformed_codebook_names_the_line(tmp_path, row, message):
    path = tmp_path / "codebook.csv"
    path.write_text("code,parent,label_es,label_en,definition,source\n" + row + "\n")
    with pytest.raises(CodebookError, match=message) as info:
        load_codebook(path)
    assert "line 2" in str(info.value)
