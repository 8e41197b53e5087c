"""File import (CSV, XLSX, JSON Lines) without loss: mapping, validation, rejects, upserts.

Sits above feedback, complaints and metrics because one importer writes into all of them.
"""
