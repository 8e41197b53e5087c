"""Read models for the dashboard and the quarterly transparency report."""
