"""The root command: `--help` lists every command from the table without importing domains, and
the table says what the commands themselves say."""

from __future__ import annotations

import subprocess
import sys

from trustpulse.cli import COMMANDS, load_commands


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").split("\n\n")[0].split())


def test_the_table_lists_every_command_with_its_own_help() -> None:
    defined = {}
    for module in dict.fromkeys(e.module for e in COMMANDS.values()):
        for name, command in load_commands(module).items():
            defined[name] = (module, _first_paragraph(command.help))
    assert set(defined) == set(COMMANDS)
    for name, entry in COMMANDS.items():
        assert defined[name] == (entry.module, _first_paragraph(entry.help)), name


def _run(args: list[str], probe: str) -> str:
    script = (
        "import sys\n"
        "from trustpulse.cli import main\n"
        f"sys.argv = ['trustpulse', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED' if {probe!r} in sys.modules else 'NOT LOADED')\n"
    )
    done = subprocess.run(  # noqa: S603 -- this interpreter, a script written above
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout


def test_help_lists_every_command_without_importing_them() -> None:
    out = _run(["--help"], "trustpulse.complaints.cli")
    for name in COMMANDS:
        assert name in out
    assert "Quarterly transparency reports." in out
    assert out.rstrip().endswith("NOT LOADED")
    assert _run(["--help"], "sklearn").rstrip().endswith("NOT LOADED")


def test_running_a_command_imports_its_module_only() -> None:
    out = _run(["complaints", "--help"], "trustpulse.complaints.cli")
    assert "credits" in out  # a complaints subcommand
    assert out.rstrip().splitlines()[-1] == "LOADED"
    assert _run(["config", "--help"], "trustpulse.text.cli").rstrip().endswith("NOT LOADED")
