"""Complaint cases with an append-only event log (lifecycle and SLA arrive with issue #3)."""
