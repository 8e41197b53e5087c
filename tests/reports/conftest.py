"""Report fixtures: the tiny demo company shared with the web tests, and the transparency brand."""

from __future__ import annotations

from tests.transparency.conftest import acme, clock
from tests.web.conftest import demo_settings

__all__ = ["acme", "clock", "demo_settings"]
