"""Reusable Textual widgets of the app shell (header, badge, live log, plots, command pane, pickers).

Screens compose these; nothing here talks to a platform directly.
"""
