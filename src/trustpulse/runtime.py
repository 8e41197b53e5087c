"""The process's settings, engine and session factory, built once by the CLI root or the app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from trustpulse import db
from trustpulse.config import Settings, get_settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session] = field(repr=False)


_runtime: Runtime | None = None


def build_runtime(settings: Settings, engine: Engine | None = None) -> Runtime:
    engine = engine or db.make_engine(settings)
    return Runtime(
        settings=settings, engine=engine, session_factory=db.make_session_factory(engine)
    )


@contextmanager
def open_runtime(settings: Settings) -> Iterator[Runtime]:
    """Build, install and finally dispose a runtime: the pattern for one CLI command."""
    runtime = build_runtime(settings)
    set_runtime(runtime)
    try:
        yield runtime
    finally:
        set_runtime(None)
        runtime.engine.dispose()


def set_runtime(runtime: Runtime | None) -> None:
    """Install the runtime jobs and commands use (the CLI root, the app factory, tests)."""
    global _runtime  # noqa: PLW0603 -- one runtime per process, installed at the edges
    _runtime = runtime


def get_runtime() -> Runtime:
    """The installed runtime, or one built from the environment on first use."""
    global _runtime  # noqa: PLW0603 -- lazily built default for entry points that forgot
    if _runtime is None:
        _runtime = build_runtime(get_settings())
    return _runtime
