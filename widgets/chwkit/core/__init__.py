"""What every flow stands on: where things live (``paths``), the bilingual catalog (``i18n``),
notebooks written atomically (``nbstore``), and the visitor's request (``request``)."""
