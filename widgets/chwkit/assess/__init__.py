"""Self-assessments: nbgrader course layout, the submission writer, the learner's page,
feedback for the learner, and the landing-page entries.

Import-light: learner kernels import ``chwkit.assess.page``; only the grader imports nbgrader.
"""

from chwkit.assess.course import assignments, landing_entries

__all__ = ["assignments", "landing_entries"]
