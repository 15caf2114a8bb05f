"""`python -m grader` is the `grade` command (useful without the console script on PATH)."""

from grader.cli import main

main()
