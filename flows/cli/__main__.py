"""``python -m flows.cli``: the command line, as the ``claimflow`` script runs it."""

from flows.cli import main

if __name__ == "__main__":
    main()
