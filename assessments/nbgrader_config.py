"""nbgrader configuration for the kit's course.

Run nbgrader (or JupyterLab with formgrader) from this folder and it works on the same course
as ``chwkit``: content in ``assessments/source/``, everything nbgrader writes (gradebook,
release, submitted, autograded, feedback) in the data directory (``.chwkit/course/`` or
``$CHWKIT_HOME/course/``). See ``chwkit.assess.course.configure`` for the settings.
"""

from chwkit.assess.course import configure

configure(get_config())  # noqa: F821 -- get_config is provided by traitlets when loading
