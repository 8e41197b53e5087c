"""Feedback: one record per customer voice, whatever the channel, with its scores."""
