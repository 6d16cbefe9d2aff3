"""The frozen program's entry point: the `apexlocal` command, exactly as the installed one."""

import multiprocessing

from apexlocal.cli import main

if __name__ == "__main__":
    # A library that starts worker processes re-runs this executable; freeze_support makes such a
    # child run its task instead of the CLI.
    multiprocessing.freeze_support()
    main()
