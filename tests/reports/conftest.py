"""Report fixtures: the tiny demo company shared with the web tests."""

from __future__ import annotations

from tests.web.conftest import demo_settings

__all__ = ["demo_settings"]
