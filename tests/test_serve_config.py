"""One configuration class for the learner server: every option declared once, with its help,
and read the same way by ``chwkit serve``, the standalone server and the server extension."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from chwkit.cli import build_parser
from chwkit.core import times
from chwkit.serve.app import ChwkitVoila
from chwkit.serve.config import ChwkitConfiguration, add_arguments, config_from_arguments


def options() -> dict:
    return ChwkitConfiguration.class_traits(config=True)


def test_every_option_says_what_it_does():
    assert options()
    for name, trait in options().items():
        assert len(str(trait.help).split()) >= 5, f"ChwkitConfiguration.{name} needs help="


def test_chwkit_serve_offers_every_option_with_the_class_defaults_and_help():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    shown = parser.format_help()
    for name, trait in ChwkitConfiguration.class_traits(cli=True).items():
        flag = ("--no-" if trait.default_value is True else "--") + name.replace("_", "-")
        assert flag in shown, f"{flag} missing from chwkit serve --help"
    # No second list of defaults: an option not given is not set, the class's default holds.
    assert config_from_arguments(parser.parse_args([])) == {"ChwkitConfiguration": {}}


def test_given_options_reach_the_configuration_class():
    args = build_parser().parse_args(
        [
            "serve",
            "--port",
            "9001",
            "--no-preheat",
            "--cull-idle-minutes",
            "2",
            "--frontend",
            "voila",
        ]
    )
    kit = ChwkitConfiguration(config=config_from_arguments(args))
    assert (kit.port, kit.preheat, kit.cull_idle_minutes, kit.frontend) == (
        9001,
        False,
        2.0,
        "voila",
    )
    assert kit.ip == ChwkitConfiguration().ip  # not given: the class's default


def test_culling_follows_the_idle_time():
    assert ChwkitConfiguration(cull_idle_minutes=15).culling() == {
        "cull_idle_timeout": 900,
        "cull_interval": 30,
        "cull_connected": True,
        "cull_busy": False,
    }
    short = ChwkitConfiguration(cull_idle_minutes=0.1).culling()
    assert short["cull_idle_timeout"] == 6 and short["cull_interval"] == 3


def test_the_standalone_server_uses_voilas_hooks_not_copies():
    # Voila.start is Voila's: the kit's settings go in through init_settings.
    assert "start" not in ChwkitVoila.__dict__
    assert "init_settings" in ChwkitVoila.__dict__ and "init_handlers" in ChwkitVoila.__dict__


def test_the_standalone_server_reads_the_class_from_its_configuration(tmp_path):
    cfg = ChwkitConfiguration(port=9002, ip="0.0.0.0").voila_config(tmp_path)
    assert cfg.Voila.port == 9002 and len(cfg.Voila.token) >= 20
    assert cfg.VoilaConfiguration.template == "chwkit"
    assert cfg.VoilaConfiguration.allow_template_override == "NO"
    assert cfg.MappingKernelManager.cull_idle_timeout == 900


def test_a_busy_server_waits_for_a_cells_outputs_instead_of_dropping_them(tmp_path):
    """nbclient gives up on a cell's outputs 4 s after its reply (and serves the page
    without them); under a filling pool and a class arriving, that dropped question widgets."""
    import nbformat
    from nbclient import NotebookClient
    from voila.execute import VoilaExecutor

    cfg = ChwkitConfiguration().voila_config(tmp_path)
    executor = VoilaExecutor(nbformat.v4.new_notebook(), config=cfg)
    assert executor.iopub_timeout >= executor.startup_timeout == 30
    assert executor.iopub_timeout > NotebookClient(nbformat.v4.new_notebook()).iopub_timeout


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-03-05 14:03:59.123456 UTC",
        "2026-03-05T14:03:59+00:00",
        datetime(2026, 3, 5, 14, 3, 59, tzinfo=UTC),
    ],
)
def test_times_go_to_the_page_as_time_elements_without_microseconds(stamp):
    shown = times.time_html(stamp)
    assert shown == (
        "<time class='chwkit-time' datetime='2026-03-05T14:03:59Z'>2026-03-05 14:03 UTC</time>"
    )


def test_a_message_with_a_time_escapes_the_rest():
    shown = times.message_html("assess.feedback_graded_at", "es", "2026-03-05 14:03:59.5 UTC")
    assert shown.startswith("Envío calificado: <time class='chwkit-time'")
    assert times.time_html("<b>not a time</b>") == "&lt;b&gt;not a time&lt;/b&gt;"
