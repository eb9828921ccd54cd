from __future__ import annotations

import pytest

from chwkit.core.i18n import catalog
from chwkit.forum.codebook import FIELDS, SOURCES, CodebookError, codebook, load_codebook

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


# The names the program uses, one Spanish name per C3 role (DOMAIN.md, "Language").
C3_ROLE_NAMES_ES = {
    1: "Mediación cultural entre las personas, las comunidades y los sistemas de salud y de "
    "servicios sociales",
    2: "Educación para la salud culturalmente apropiada",
    3: "Coordinación de la atención, manejo de casos y navegación del sistema",
    4: "Orientación (coaching) y apoyo social",
    5: "Defensa e incidencia por las personas y las comunidades",
    6: "Desarrollo de capacidades individuales y comunitarias",
    7: "Servicio directo",
    8: "Valoraciones individuales y comunitarias",
    9: "Alcance comunitario",
    10: "Participación en evaluación e investigación",
}


def test_the_catalog_holds_the_programs_spanish_c3_names():
    cat = catalog()
    assert {n: cat[f"c3.role.{n}"]["es"] for n in range(1, 11)} == C3_ROLE_NAMES_ES
    assert cat["c3.skill.advocacy"]["es"] == "Defensa e incidencia"
    assert cat["c3.skill.assessment"]["es"] == "Valoración individual y comunitaria"


def test_spanish_keeps_valoracion_apart_from_evaluacion_and_says_defensa():
    """Assessment of needs is "valoración" (role 8), evaluation "evaluación" (role 10), and
    advocacy "defensa" or "incidencia", never "abogacía" (DOMAIN.md, "Language")."""
    book = codebook()
    spanish = " ".join(t.label_es + " " + t.definition_es for t in book.themes.values())
    assert "abogac" not in spanish.lower() and "abogar" not in spanish.lower()
    for code in ("c3_role_8", "c3_skill_assessment"):
        text = (book[code].label_es + " " + book[code].definition_es).lower()
        assert "valoraci" in text and "evaluaci" not in text, code
    for code in ("c3_role_10", "c3_skill_evaluation_research"):
        assert "evaluación" in book[code].label_es.lower(), code


def test_every_theme_is_defined_in_both_languages():
    for theme in codebook().themes.values():
        assert theme.definition("es") == theme.definition_es != theme.definition_en, theme.code
        assert theme.definition("en") == theme.definition_en
        assert theme.label("es") and theme.label("en"), theme.code


@pytest.mark.parametrize(
    "code, parent, label_en",
    [
        ("em_life_course", "em_health", "Human development across the life course"),
        ("em_health_system_mx", "em_health_systems", "The Mexican health system"),
        ("em_health_system_us", "em_health_systems", "The US health system"),
        ("em_occupational_health", "em_health", "Occupational health and safety"),
        ("em_grief", "em_health", "Grief and loss"),
    ],
)
def test_migration_and_health_themes_can_be_picked(code, parent, label_en):
    book = codebook()
    theme = book[code]
    assert (theme.parent, theme.label_en, theme.source) == (parent, label_en, "emergent")
    assert code in book.leaves()
    assert book[parent].parent == "emergent"


def test_occupational_health_is_apart_from_income():
    book = codebook()
    income = book["em_employment_income"].definition_en.lower()
    assert "occupational health" not in income.split(".")[0]  # pointed to, not included
    assert "income" not in book["em_occupational_health"].definition_en.split(".")[0].lower()
    assert "heat" in book["em_occupational_health"].definition_en
    assert "calor" in book["em_occupational_health"].definition_es


def test_pick_list_offers_leaves_only():
    book = codebook()
    assert "emergent" not in book.leaves() and "em_sdoh" not in book.leaves()
    assert "em_housing" in book.leaves()
    assert book.group_label("em_housing", "es") == "Determinantes sociales de la salud › Vivienda"


@pytest.mark.parametrize(
    "row, message",
    [
        ("Bad Code,,a,b,c,d,emergent", "invalid code"),
        ("x1,,a,b,c,d,folklore", "source must be"),
        ("x1,nowhere,a,b,c,d,emergent", "parent 'nowhere'"),
        ("x1,,,b,c,d,emergent", "required"),
        ("x1,,a,b,,d,emergent", "definition_es"),
    ],
)
def test_malformed_codebook_names_the_line(tmp_path, row, message):
    path = tmp_path / "codebook.csv"
    path.write_text(",".join(FIELDS) + "\n" + row + "\n")
    with pytest.raises(CodebookError, match=message) as info:
        load_codebook(path)
    assert "line 2" in str(info.value)
