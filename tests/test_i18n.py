import json

import pytest

from chwkit.core import i18n


def test_every_catalog_key_has_both_languages():
    catalog = i18n.load_catalog()
    assert catalog, "the catalog is empty"
    for key, texts in catalog.items():
        assert set(texts) == set(i18n.LANGS), key
        assert all(texts[lang].strip() for lang in i18n.LANGS), key


def test_catalog_rejects_a_key_missing_a_language(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"x": {"es": "hola"}}))
    with pytest.raises(i18n.CatalogError, match="lacks en"):
        i18n.load_catalog(tmp_path)


def test_catalog_rejects_a_key_defined_twice(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"x": {"es": "a", "en": "a"}}))
    (tmp_path / "b.json").write_text(json.dumps({"x": {"es": "b", "en": "b"}}))
    with pytest.raises(i18n.CatalogError, match="already defined"):
        i18n.load_catalog(tmp_path)


def test_catalog_rejects_placeholders_that_differ(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"x": {"es": "{n} de {m}", "en": "{n} of"}}))
    with pytest.raises(i18n.CatalogError, match="placeholders"):
        i18n.load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("es", "es"),
        (" EN ", "en"),
        ("es-MX", "es"),
        ("en_US", "en"),
        ("fr", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_normalize_lang(raw, expected):
    assert i18n.normalize_lang(raw) == expected


def test_t_formats_and_falls_back_to_the_default_language():
    assert i18n.t("progress.label", "en", done=1, total=4) == "Practice questions: 1 of 4"
    assert i18n.t("quiz.correct", "xx") == i18n.t("quiz.correct", i18n.DEFAULT_LANG)
