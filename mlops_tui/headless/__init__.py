"""The headless commands of ``mlops-tui`` (lab run, predict, status, platform, profile, credentials).

Imported lazily by :mod:`mlops_tui.cli` so ``mlops-tui --help`` stays fast.
"""
