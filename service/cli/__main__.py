"""`python -m service.cli`: the `understudy` command."""

from service.cli import main

main()
