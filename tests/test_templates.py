"""Page templates are compiled once per server, not once per page (chwkit.serve.templates)."""

from __future__ import annotations

import jinja2
import pytest
from conftest import run

from chwkit.core import paths
from chwkit.serve import templates

PAGE = {
    "base.j2": "<main>{% block body %}{% endblock %}</main>",
    "page.j2": "{% extends 'base.j2' %}{% block body %}{{ who | shout }}{% endblock %}",
}


def environment(sources: dict, cache, enable_async: bool = True) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(sources), enable_async=enable_async)
    env.filters["shout"] = lambda s: s.upper() + "!"
    env.bytecode_cache = cache
    return env


def render(env: jinja2.Environment, name: str = "page.j2", **context) -> str:
    template = env.get_template(name)
    if env.is_async:
        return run(template.render_async(**context))
    return template.render(**context)


def test_environments_configured_alike_compile_a_template_once():
    cache = templates.SharedTemplateCode()
    first = render(environment(PAGE, cache), who="hola")
    assert cache.compiled == 2  # the page and the template it extends
    second_env = environment(PAGE, cache)
    second = render(second_env, who="hola")
    assert cache.compiled == 2
    assert first == second == "<main>HOLA!</main>"
    # Each environment still has its own template object, filters and globals.
    second_env.filters["shout"] = lambda s: s + "?"
    assert render(second_env, who="hi") == "<main>hi?</main>"
    assert render(environment(PAGE, cache), who="hi") == "<main>HI!</main>"


def test_a_changed_template_is_compiled_again():
    cache = templates.SharedTemplateCode()
    render(environment(PAGE, cache), who="a")
    changed = {**PAGE, "base.j2": "<section>{% block body %}{% endblock %}</section>"}
    assert render(environment(changed, cache), who="a") == "<section>A!</section>"
    assert cache.compiled == 3


def test_differently_configured_environments_do_not_share_code():
    cache = templates.SharedTemplateCode()
    assert render(environment(PAGE, cache, enable_async=True), who="x") == "<main>X!</main>"
    assert render(environment(PAGE, cache, enable_async=False), who="x") == "<main>X!</main>"
    assert cache.compiled == 4
    env = environment(PAGE, cache)
    env.trim_blocks = True
    render(env, who="x")
    assert cache.compiled == 6


@pytest.fixture
def kit_template_paths(monkeypatch):
    from voila.paths import collect_template_paths

    monkeypatch.setenv("JUPYTER_PATH", str(paths.share_dir()))
    return collect_template_paths(["voila"], "chwkit")


def test_voila_exporters_share_the_kits_compiled_template(kit_template_paths):
    import voila.notebook_renderer as renderer

    templates.install()
    templates.install()  # twice is once
    exporter_class = renderer.VoilaExporter
    assert exporter_class.chwkit_shared_templates
    assert exporter_class.__mro__[1].__name__ == "VoilaExporter"

    def load(name: str):
        exporter = exporter_class(template_paths=kit_template_paths, template_name="chwkit")
        return exporter.environment.get_template(name)

    first = load("index.html.j2")
    compiled = templates.SHARED.compiled
    second = load("index.html.j2")
    assert templates.SHARED.compiled == compiled
    assert second.environment is not first.environment
    assert second.root_render_func.__code__ is first.root_render_func.__code__
    # The kit's own template, not one of the same name elsewhere.
    assert "chwkit" in second.filename
