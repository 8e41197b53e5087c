"""The notification outbox: messages written with the event that causes them, delivered by a job."""
