"""The learner server: the Voila application (``app``), its CLI (``cli``), the landing page
(``landing``) and the Voila template and pages (``share/``)."""
