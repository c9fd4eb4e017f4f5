"""`python -m app` is the `gatehouse` command."""

from app.cli import main

main()
