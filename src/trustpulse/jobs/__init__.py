"""Background jobs: one interface, in-process (embedded) or on a Redis queue (server mode)."""
