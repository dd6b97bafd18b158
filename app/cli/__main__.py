"""`python -m app.cli`: the same as the `cunyi` command."""

from app.cli import main

main()
