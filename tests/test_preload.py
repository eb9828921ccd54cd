"""The preload list: the scripts a module page asks for, as recorded from a real load."""

from chwkit import preload


def test_preload_manifest_keeps_request_order_without_origin_or_version():
    urls = [
        "http://127.0.0.1:8866/voila/static/v/0a1b2c/voila.js",
        "http://127.0.0.1:8866/voila/static/v/0a1b2c/5764.voila.js",
        "http://10.0.0.5:8866/hub/user/x/voila/static/v/0a1b2c/143.voila.js",
        "http://127.0.0.1:8866/voila/static/v/0a1b2c/5764.voila.js",  # asked for twice
        "http://127.0.0.1:8866/voila/labextensions/@jupyter-widgets/m/static/7.js?v=2a0c",
        "http://127.0.0.1:8866/voila/templates/chwkit/static/voila-style.js?v=f811",
        "http://127.0.0.1:8866/api/kernels/abc",
    ]
    manifest = preload.record(urls)
    assert manifest["static"] == ["5764.voila.js", "143.voila.js"]
    assert manifest["labextensions"] == ["@jupyter-widgets/m/static/7.js?v=2a0c"]
