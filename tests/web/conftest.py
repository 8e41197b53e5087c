"""Web fixtures: a TestClient on the savepoint session, and a live server on a tiny demo company.

The live server (browser tests) runs uvicorn in a thread against its own SQLite file with the
demo company at scale 0.03, text-analysed, plus one customer text carrying markup, with
security on (`DASHBOARD_PASSWORD`): a browser test logs in through the form first (`log_in`).
Browser tests are marked `browser`: skipped when /usr/bin/chromium is absent, failed in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.accounts.conftest import anonymous, secure_app  # noqa: F401 -- login page fixtures
from tests.transparency.conftest import acme, clock  # noqa: F401 -- fixtures for the transparency pages
from trustpulse.app import create_app
from trustpulse.config import Settings
from trustpulse.db import get_session, session_scope
from trustpulse.demo.model import DemoConfig
from trustpulse.demo.service import build_demo
from trustpulse.feedback.schemas import FeedbackCreate
from trustpulse.feedback.service import submit_feedback
from trustpulse.runtime import build_runtime
from trustpulse.text.service import build_analyzer, run_analysis

CHROMIUM = Path("/usr/bin/chromium")
DASHBOARD_PASSWORD = "演示 demo-password"  # noqa: S105 -- the browser tests' password
EVIL_TEXT = "<script>window.__pwned = 1</script>{{ 7*7 }} 退款太慢了 markup-probe"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    # also listed in pyproject's markers; registered here so --strict-markers passes either way
    config.addinivalue_line("markers", "browser: drives headless Chromium (Playwright)")


@pytest.fixture
def client(settings: Settings, engine: Engine, session: Session) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        yield client


SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def save_screenshot(page: Page, name: str) -> None:
    """A full-page screenshot in test-artifacts/screenshots/ (CI lists them as artifacts)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def copy_of_demo(demo_settings: Settings, home: Path) -> Settings:
    """Settings of a writable copy of the demo database under `home` (SQLite online backup)."""
    source = sqlite3.connect(demo_settings.home / "demo.db")
    target = sqlite3.connect(home / "demo.db")
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return Settings(home=home, database_url=f"sqlite:///{home / 'demo.db'}")


def with_password(settings: Settings) -> Settings:
    """A copy of `settings` with security on: the dashboard asks for `DASHBOARD_PASSWORD`. The
    secret key is set, so no key file is written into a shared home."""
    return settings.model_copy(
        update={
            "dashboard_password": SecretStr(DASHBOARD_PASSWORD),
            "secret_key": SecretStr("browser-tests-signing-key-" + "k" * 32),
        }
    )


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings


def log_in(page: Page, server: LiveServer, path: str = "/") -> None:
    """Open `path`, get sent to the login form, log in through it and land back on `path`."""
    page.goto(f"{server.url}{path}")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#login-form input[name=password]", DASHBOARD_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()
    assert page.url == f"{server.url}{path}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def build_demo_home(home: Path) -> Settings:
    """A tiny demo company, text-analysed, plus one review whose text carries markup."""
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'demo.db'}")
    runtime = build_runtime(settings)
    build_demo(
        runtime.engine, truth_dir=home, config=DemoConfig(seed=7, scale=0.03), settings=settings
    )
    with session_scope(runtime.session_factory) as session:
        submit_feedback(
            session,
            FeedbackCreate(
                kind="review",
                channel="tmall",
                external_id="evil-1",
                occurred_at="2026-10-30 10:00",
                language="zh",
                text=EVIL_TEXT,
                rating=1,
            ),
            brand="aurora",
        )
    run_analysis(runtime.session_factory, build_analyzer(settings))
    runtime.engine.dispose()
    return settings


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a SQLite home holding the tiny demo company (read-only for tests)."""
    return build_demo_home(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def demo_client(demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings)) as client:
        yield client


@pytest.fixture(scope="session")
def live_server(demo_settings: Settings) -> Iterator[LiveServer]:
    """The tiny demo served with security on: pages want a login first (`log_in`)."""
    with serve(with_password(demo_settings)) as server:
        yield server


@contextmanager
def serve(settings: Settings) -> Iterator[LiveServer]:
    """uvicorn in a thread on a free port, serving the dashboard of `settings`."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the dashboard server did not start within 30 s")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def pdf_text(pdf: Path) -> str:
    """The PDF's text by pdftotext (poppler-utils): skipped locally without it, failed in CI."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is required in CI")
        pytest.skip("pdftotext not installed")
    return subprocess.run(  # noqa: S603 -- fixed arguments, a file the test wrote
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


CJK_FONT = re.compile(r"WenQuanYi|WQY|Noto ?Sans ?CJK|Noto ?Serif ?CJK", re.IGNORECASE)


def embedded_fonts(pdf: Path) -> list[str]:
    """Names of the fonts embedded in the PDF, by pdffonts (poppler-utils): skipped locally
    without it, failed in CI. pdftotext alone cannot tell real glyphs from boxes (.notdef):
    the text layer is there either way."""
    pdffonts = shutil.which("pdffonts")
    if pdffonts is None:
        if os.environ.get("CI"):
            pytest.fail("pdffonts (poppler-utils) is required in CI")
        pytest.skip("pdffonts not installed")
    lines = subprocess.run(  # noqa: S603 -- fixed arguments, a file the test wrote
        [pdffonts, str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # a header, a ruler of dashes giving each column's width, then one font per line:
    # name, type, encoding, emb, sub, uni, object ID
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[1])] if len(lines) > 1 else []
    names = []
    for line in lines[2:]:
        (name_from, name_to), (emb_from, emb_to) = spans[0], spans[3]
        if line[emb_from:emb_to].strip() == "yes":
            names.append(line[name_from:name_to].strip())
    return names


def cjk_fonts(pdf: Path) -> list[str]:
    """The embedded fonts that carry Chinese glyphs (WenQuanYi or Noto CJK)."""
    return [name for name in embedded_fonts(pdf) if CJK_FONT.search(name)]


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is required in CI (apt-get install chromium)")
        pytest.skip("/usr/bin/chromium not installed")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []  # no JavaScript error on any page
