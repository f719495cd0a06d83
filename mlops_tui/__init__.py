"""mlops-tui: a terminal guide and live dashboard for an end-to-end ML pipeline."""

__version__ = "0.1.0"
