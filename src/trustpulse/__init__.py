"""TrustPulse: measure customer trust and build it."""

__version__ = "0.1.0"
