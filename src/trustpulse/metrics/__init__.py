"""Trust metrics; for now the operational KPIs that trust dimensions rest on."""
