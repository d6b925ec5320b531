"""``python -m quizgrad``."""

from quizgrad.cli.app import main

main()
