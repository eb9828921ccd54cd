"""Module pages on slow networks: compressed, cached, light, and readable before they connect.

Functional checks only; the timings are in benchmarks/page_load.py (`make bench`).
"""

import gzip
import html
import re
import shutil
import urllib.parse
import urllib.request

import nbformat
import pytest

from chwkit.learn.spec import discover

pytestmark = pytest.mark.browser
TIMEOUT = 90_000
MODULES = discover()


def module_url(server, spec, lang="es"):
    return server.url + f"voila/render/notebooks/modules/{spec.id}/{spec.id}.ipynb?lang={lang}"


def fetch(url):
    """The response to ``url``; a module page's "opening" page (no kernel ready yet, see
    chwkit.serve.admission) is followed to the module, as its script does."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=60) as response:
        headers, body = response.headers, response.read()
    text = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
    opening = re.search(rb'id="chwkit-opening"[^>]*data-next="([^"]+)"', text)
    if opening:
        target = html.unescape(opening.group(1).decode())
        return fetch(urllib.parse.urljoin(url, target))
    return headers, body


def page_assets(page: str) -> list[str]:
    return re.findall(r'<(?:script src|link rel="stylesheet" type="text/css" href)="([^"]+)"', page)


def test_module_page_and_its_assets_are_compressed_and_cached_by_content(server):
    headers, body = fetch(module_url(server, MODULES[0]))
    assert headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(body).decode()
    assets = page_assets(page)
    assert any("/chwkit-page.js?v=" in a for a in assets), assets
    for asset in assets:
        asset_headers, asset_body = fetch(server.url.rstrip("/") + asset)
        assert asset_headers["Content-Encoding"] == "gzip", asset
        # ?v= is the file's content hash: a changed file gets a new address.
        assert re.search(r"\?v=[0-9a-f]{32,}$", asset), asset
        assert int(re.search(r"max-age=(\d+)", asset_headers["Cache-Control"]).group(1)) >= 31536000
        assert len(gzip.decompress(asset_body)) > len(asset_body)


def test_the_page_loads_one_script_and_no_jupyterlab_application(server):
    _, body = fetch(module_url(server, MODULES[0]))
    page = gzip.decompress(body).decode()
    scripts = [a for a in page_assets(page) if ".js" in a]
    assert len(scripts) == 1 and "/chwkit-page.js?v=" in scripts[0]
    assert "voila-style.js" not in page and "/voila.js" not in page
    assert "application/vnd.voila.cell-output+json" not in page  # outputs are rendered here


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
    assert sum(scripts().values()) > 100_000, "the first visit loads the front end"

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
    # The kernel's websocket never reaches the server (page.route does not see websockets).
    page.route_web_socket("**/api/kernels/**", lambda ws: ws.close())
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
    page.wait_for_timeout(3000)  # time enough for a page on this server to draw its questions
    assert page.locator(".chwkit-question").count() == 0, "the kernel was not reachable"


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
        ("code", "from chwkit.learn.page import Module\n\nmodule = Module.here()\nmodule.header()"),
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


def test_prices_stay_text_and_no_typesetter_loads(new_page, server, price_module):
    """No MathJax: "$45 ... $540" is a price, not a formula, and costs no download."""
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
    scripts = [url for url in requested if re.search(r"\.js($|\?)", url)]
    assert len(scripts) == 1 and "/chwkit-page.js?v=" in scripts[0], scripts


def test_voilas_own_front_end_still_serves_a_module(new_page, voila_frontend_server):
    """`chwkit serve --frontend voila`, the escape hatch, draws and answers questions."""
    server = voila_frontend_server
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(module_url(server, MODULES[0]))
    question = page.locator(".chwkit-question").first
    question.locator("input").first.wait_for(timeout=TIMEOUT)
    assert page.locator('script[src*="/voila.js"]').count() == 1
    question.locator("input").first.check()
    question.locator("button").first.click()
    question.locator(".chwkit-feedback").wait_for(timeout=TIMEOUT)
