"""`python -m gosupr`: the same as the `gosupr` command."""

from .cli import main

main()
