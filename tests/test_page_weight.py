"""Module pages on slow networks: compressed, cached, light, and readable before they connect.

Functional checks only; the timings are in benchmarks/page_load.py (`make bench`).
"""

import gzip
import re
import urllib.request

import pytest

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
    assert "Conectando las preguntas" in page.locator("body").inner_text()
    assert "Connecting the questions" not in page.locator("body").inner_text()


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
