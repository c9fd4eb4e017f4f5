"""`python -m app` is the `gatehouse` command."""

from app.cli.main import main

main()
