"""apexlocal: the AI Video Generation API on your own machine."""

__version__ = "0.1.0"
