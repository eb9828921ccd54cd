"""Module pages on slow networks: compressed, cached, light, and readable before they connect.

Functional checks only; the timings are in benchmarks/page_load.py (`make bench`).
"""

import gzip
import re
import shutil
import urllib.request

import nbformat
import pytest

from chwkit import preload
from chwkit.modules import discover

pytestmark = pytest.mark.browser
TIMEOUT = 90_000
MODULES = discover()


def module_url(server, spec, lang="es"):
    return server.url + f"voila/render/notebooks/modules/{spec.id}/{spec.id}.ipynb?lang={lang}"


def fetch(url):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers, response.read()


def test_module_page_and_its_scripts_are_compressed_and_scripts_cached(server):
    headers, body = fetch(module_url(server, MODULES[0]))
    assert headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(body).decode()
    main_js = re.search(r'<script src="([^"]+/voila\.js)"', page).group(1)
    assert "/voila/static/v/" in main_js, "Voila's bundle must be under a versioned URL"
    js_headers, js_body = fetch(server.url.rstrip("/") + main_js)
    assert js_headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in js_headers["Cache-Control"]
    assert "immutable" in js_headers["Cache-Control"]
    assert len(gzip.decompress(js_body)) > len(js_body)


def test_only_the_widget_extensions_are_loaded(server):
    _, body = fetch(module_url(server, MODULES[0]))
    page = gzip.decompress(body).decode()
    assert "@jupyter-widgets/jupyterlab-manager" in page
    assert "@jupyter/nbgrader" not in page
    assert "@jupyter-notebook/lab-extension" not in page


def test_second_page_downloads_no_script_again_and_text_shows_before_widgets(new_page, server):
    page = new_page(viewport={"width": 390, "height": 844})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    network_bytes: dict[str, int] = {}  # bytes that crossed the network (0 when cached)
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: network_bytes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )

    def scripts():
        return {
            urls[r]: n
            for r, n in network_bytes.items()
            if re.search(r"\.js($|\?)", urls.get(r, ""))
        }

    page.goto(module_url(server, MODULES[0]), wait_until="commit")
    # The module text is readable while the questions connect.
    page.locator(".celltag_lang-es").first.wait_for(state="visible", timeout=TIMEOUT)
    page.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    page.wait_for_selector("#loading", state="detached", timeout=TIMEOUT)
    assert sum(scripts().values()) > 200_000, "the first visit loads the front end"

    network_bytes.clear()
    page.goto(module_url(server, MODULES[1]))
    page.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    loaded = scripts()
    assert loaded, "the second page runs the same front end"
    fetched_again = {u: n for u, n in loaded.items() if n > 0}
    assert fetched_again == {}, f"downloaded again: {fetched_again}"


def test_a_failing_cell_says_so_in_both_languages_without_developer_advice(server):
    root = server.root / "notebooks" / "modules" / "broken"
    root.mkdir()
    try:
        cell = nbformat.v4.new_code_cell("raise RuntimeError('secret detail')")
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), root / "broken.ipynb")
        _, body = fetch(server.url + "voila/render/notebooks/modules/broken/broken.ipynb?lang=es")
        page = gzip.decompress(body).decode()
    finally:
        shutil.rmtree(root)
    assert "chwkit-cell-error" in page
    assert "Algo salió mal en el servidor. Avise a su capacitador." in page
    assert "Something went wrong on the server. Tell your trainer." in page
    assert "show_tracebacks" not in page and "secret detail" not in page


def test_connecting_message_is_in_the_learner_language(server):
    _, body = fetch(module_url(server, MODULES[0]))
    page = gzip.decompress(body).decode()
    assert "Conectando las preguntas" in page and "Connecting the questions" in page
    assert 'id="rendered_cells" style="display: none"' not in page


def test_text_and_spanish_message_show_while_the_kernel_is_unreachable(new_page, server):
    """On a dead link the learner still reads the module, with a message in their language."""
    page = new_page(viewport={"width": 390, "height": 844})
    page.route("**/api/kernels/**", lambda route: route.abort())
    page.goto(module_url(server, MODULES[0]), wait_until="domcontentloaded")
    page.locator(".celltag_lang-es").first.wait_for(state="visible", timeout=TIMEOUT)
    assert page.locator(".celltag_lang-en").first.is_hidden()
    assert page.locator(".chwkit-question").count() == 0  # widgets cannot have connected
    page.get_by_text("Conectando las preguntas").wait_for(timeout=TIMEOUT)
    text = page.locator("body").inner_text()
    assert "Connecting the questions" not in text
    # Never the Python side of a widget, nor a stray value, in place of the questions.
    assert "HBox(" not in text and "Question(" not in text and "'es'" not in text


def test_kernel_websocket_is_deflated_and_every_question_renders(new_page, server):
    page = new_page(viewport={"width": 390, "height": 844})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    handshakes: list[dict] = []
    cdp.on(
        "Network.webSocketHandshakeResponseReceived",
        lambda e: handshakes.append({k.lower(): v for k, v in e["response"]["headers"].items()}),
    )
    spec = MODULES[0]
    page.goto(module_url(server, spec))
    page.wait_for_selector("#loading", state="detached", timeout=TIMEOUT)
    page.wait_for_function(
        f"document.querySelectorAll('.chwkit-question').length >= {len(spec.questions)}",
        timeout=TIMEOUT,
    )
    assert page.locator(".chwkit-question").count() == len(spec.questions)
    assert handshakes, "the page opened no kernel websocket"
    assert all("permessage-deflate" in h.get("sec-websocket-extensions", "") for h in handshakes)


PRICE_MODULE = """\
id: price_check
level: entry
duration_min: 5
c3_roles: [3]
c3_skills: [knowledge_base]
title: {es: Precios, en: Prices}
summary: {es: Primas, en: Premiums}
questions:
  - id: q1
    kind: single
    prompt:
      es: "La prima es de $45 al mes. ¿Cuánto paga en un año? ($540)"
      en: "The premium is $45 a month. How much in a year? ($540)"
    options: [{es: "$540", en: "$540"}, {es: "$45", en: "$45"}]
    answer: 0
    explanation: {es: "12 x $45 = $540", en: "12 x $45 = $540"}
"""


@pytest.fixture
def price_module(server):
    folder = server.root / "notebooks" / "modules" / "price_check"
    folder.mkdir()
    (folder / "module.yaml").write_text(PRICE_MODULE, encoding="utf-8")
    source = [
        ("code", "from chwkit.module import Module\n\nmodule = Module.here()\nmodule.header()"),
        ("markdown", "# Precios", "lang-es"),
        ("markdown", "# Prices", "lang-en"),
        ("code", 'module.question("q1")'),
        ("code", "module.ready()"),
    ]
    cells = [
        nbformat.v4.new_code_cell(c[1])
        if c[0] == "code"
        else nbformat.v4.new_markdown_cell(c[1], metadata={"tags": [c[2]]})
        for c in source
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "price_check.ipynb")
    yield "voila/render/notebooks/modules/price_check/price_check.ipynb?lang=es"
    shutil.rmtree(folder)


def test_prices_stay_text_and_mathjax_never_loads(new_page, server, price_module):
    """MathJax is off: "$45 ... $540" is a price, not a formula, and costs no download."""
    page = new_page(viewport={"width": 390, "height": 844})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server.url + price_module)
    question = page.locator(".chwkit-question").first
    question.locator("input").first.wait_for(timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")
    assert "La prima es de $45 al mes. ¿Cuánto paga en un año? ($540)" in question.inner_text()
    assert page.locator("mjx-container, .MathJax").count() == 0
    assert page.evaluate("typeof window.MathJax") == "undefined"
    chunks = [c[1] for c in map(preload.classify, requested) if c and c[0] == "static"]
    # MathJax's library (its plugin module, 3307, is small and loaded with the rest)
    mathjax = {"6305.voila.js", "1996.voila.js", "4486.voila.js", "7393.voila.js"} & set(chunks)
    assert not mathjax, f"MathJax chunks loaded: {mathjax}"


def test_every_script_a_module_page_asks_for_was_preloaded(new_page, server):
    """A cold visit fetches the whole front end in one wave: nothing is found late."""
    page = new_page(viewport={"width": 390, "height": 844})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(module_url(server, MODULES[1]))
    page.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")
    chunks, labextensions = preload.preload_paths()
    assert chunks and labextensions, "preload.json does not match the installed Voila"
    late = [
        url
        for url in requested
        if (found := preload.classify(url))
        and found[1] != "voila.js"
        and found[1] not in {"static": chunks, "labextensions": labextensions}[found[0]]
    ]
    assert late == [], f"not preloaded (run `python -m chwkit.preload record`): {late}"
    preloaded = page.eval_on_selector_all('link[rel="preload"]', "els => els.map(e => e.href)")
    assert len(preloaded) == len(chunks) + len(labextensions) + 1  # + voila.js
