"""The pool sized from the work plan: the class a module page expects now (``chwkit serve
--class-size plan``), from real plan files and a real roster."""

from __future__ import annotations

import datetime as dt
import logging

from chwkit.program import plan
from chwkit.serve.pool import ClassroomKernelManager, classroom_config

from .conftest import REPO
from .test_plan_rules import MODULES, TRACK, write_plan

PLAN = f"""
    start: 2024-03-04
    end: 2024-06-30
    time_zone: America/Mexico_City
    cadence: {{every: weekly, weekday: lunes, time: "10:00"}}
    groups:
      - {{id: g1, track: {TRACK}}}
      - {{id: g2, track: {TRACK}}}
    """


def first_start(path) -> dt.datetime:
    return plan.schedule(plan.load(path, "en"), "en").sessions[0].start


def test_groups_meeting_on_one_module_add_up_from_an_hour_before_to_the_end(small_roster, tmp_path):
    path = write_plan(tmp_path, PLAN)
    start = first_start(path)
    assert f"{start:%Y-%m-%d %H:%M}" == "2024-03-04 10:00"
    first = MODULES[0]

    classes, problems = plan.expected_classes([path], start - dt.timedelta(minutes=30))
    assert problems == []
    assert list(classes) == [first]
    assert classes[first].learners == 3, "g1 has two learners and g2 one"
    assert {s.group for s in classes[first].sessions} == {"g1", "g2"}

    assert plan.expected_classes([path], start - dt.timedelta(minutes=90))[0] == {}
    session_end = start + dt.timedelta(minutes=classes[first].sessions[0].minutes)
    assert list(plan.expected_classes([path], session_end - dt.timedelta(minutes=1))[0]) == [first]
    assert plan.expected_classes([path], session_end)[0] == {}
    # a week later, the second module's session
    later = plan.expected_classes([path], start + dt.timedelta(weeks=1))[0]
    assert list(later) == [MODULES[1]]


def test_a_broken_plan_is_reported_and_does_not_hide_the_others(small_roster, tmp_path):
    good = write_plan(tmp_path, PLAN, name="a_good.yaml")
    write_plan(tmp_path, "start: 2024-03-04\ngroups: [{id: nobody}]\n", name="b_broken.yaml")
    files = sorted(tmp_path.glob("*.yaml"))
    classes, problems = plan.expected_classes(files, first_start(good))
    assert list(classes) == [MODULES[0]]
    assert len(problems) == 1 and problems[0].startswith("b_broken.yaml: ")


def test_the_server_reads_the_plans_and_sizes_each_modules_pool(small_roster, tmp_path, caplog):
    plans = tmp_path / "plans"
    plans.mkdir()
    path = write_plan(plans, PLAN)
    config = classroom_config(REPO, "plan,chw_role=30")["ClassroomKernelManager"]
    assert config["plans_dir"].endswith("notebooks/plans")
    assert config["class_sizes"] == {"notebooks/modules/chw_role/chw_role.ipynb": 30}
    notebook = config["plan_notebooks"][MODULES[0]]
    assert notebook == f"notebooks/modules/{MODULES[0]}/{MODULES[0]}.ipynb"

    manager = ClassroomKernelManager(
        plans_dir=str(plans),
        plan_notebooks=config["plan_notebooks"],
        # its own logger: traitlets' default is the last Application's, which does not propagate
        log=logging.getLogger(__name__),
    )
    with caplog.at_level(logging.INFO):
        assert manager.read_plans(first_start(path)) == {notebook: 3}
        assert manager.plan_sizes() == {notebook: 3}
        assert f"{MODULES[0]}=3" in caplog.text
        assert manager.read_plans(first_start(path) - dt.timedelta(days=1)) == {}
        assert "none now" in caplog.text


def test_without_plan_no_plans_are_read():
    config = classroom_config(REPO, "12")["ClassroomKernelManager"]
    assert config["plans_dir"] == "" and config["plan_notebooks"] == {}
    assert ClassroomKernelManager().read_plans() == {}


def test_fixed_sizes_win_over_the_plan_and_the_plan_over_the_default():
    from types import SimpleNamespace

    from chwkit.serve.pool import ClassroomPool

    pool = SimpleNamespace(
        class_sizes={"a.ipynb": 30},
        plan_sizes=lambda: {"a.ipynb": 3, "b.ipynb": 12},
        kernel_pools_config={"default": {"pool_size": 1}},
    )
    assert [ClassroomPool.base_size(pool, n) for n in ("a.ipynb", "b.ipynb", "c.ipynb")] == [
        30,
        12,
        1,
    ]
