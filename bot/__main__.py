"""`python -m bot` is `earful`."""

from bot.cli import main

main()
