"""`python -m trustpulse` runs the CLI."""

from trustpulse.cli import main

main()
