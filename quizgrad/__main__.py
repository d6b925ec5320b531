"""``python -m quizgrad``."""

from .cli import main

main()
