"""The app's themes, each in two designs: full colour (hex) and 16 colours (ANSI colour names).

A terminal with 16 colours (``TERM=xterm``, ``vt100``, ``linux``; PuTTY) shows the terminal's own
palette. Left to Rich, each hex colour becomes the *nearest* of those 16 (``rich.color.Color.downgrade``
with ``STANDARD_PALETTE``): the mlops accent #FF8300 (the guide's prompt, focused panels) becomes
bright red, its success #17EBA0 cyan, and most of nord and tokyo-night plain white. The 16-colour
designs below name ANSI colours instead, chosen by meaning: success is always a green, warning a
yellow, failure a red, and focus (``accent``, ``border``) and selection (``block-cursor-*``) are
never one of those three. The same designs serve NO_COLOR (Textual then drops every colour and the
CSS in ``terminal.tcss`` carries the meaning with bold, reverse and underline).

A theme keeps its name in both designs, so the one a person picks (and ``tui.json`` remembers)
works on every terminal.
"""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES, Theme

from mlops_tui.terminal import Capabilities

MLOPS_THEME = Theme(
    name="mlops",
    primary="#01A982",  # HPE green
    secondary="#7630EA",
    accent="#FF8300",
    warning="#FEC901",
    error="#FC6161",
    success="#17EBA0",
    foreground="#E6E8E9",
    background="#0E1418",
    surface="#162027",
    panel="#1E2B33",
    dark=True,
)

THEMES = ("mlops", "textual-dark", "nord", "gruvbox", "tokyo-night", "textual-light", "solarized-light")

# name -> (primary, secondary, accent): each theme's own hues, then the shared meanings below.
_ANSI_HUES: dict[str, tuple[str, str, str]] = {
    "mlops": ("ansi_green", "ansi_magenta", "ansi_bright_cyan"),
    "textual-dark": ("ansi_bright_blue", "ansi_blue", "ansi_bright_cyan"),
    "nord": ("ansi_cyan", "ansi_blue", "ansi_bright_cyan"),
    "gruvbox": ("ansi_cyan", "ansi_magenta", "ansi_bright_magenta"),
    "tokyo-night": ("ansi_bright_blue", "ansi_magenta", "ansi_bright_magenta"),
    "textual-light": ("ansi_blue", "ansi_cyan", "ansi_magenta"),
    "solarized-light": ("ansi_cyan", "ansi_blue", "ansi_magenta"),
}

# On a dark terminal the bright variants read best; on the light designs the plain ones.
_DARK_MEANINGS = {"success": "ansi_bright_green", "warning": "ansi_bright_yellow", "error": "ansi_bright_red"}
_LIGHT_MEANINGS = {"success": "ansi_green", "warning": "ansi_yellow", "error": "ansi_red"}


def ansi_theme(name: str) -> Theme:
    """The 16-colour design of theme ``name`` (one of :data:`THEMES`)."""
    primary, secondary, accent = _ANSI_HUES[name]
    dark = name not in ("textual-light", "solarized-light")
    meanings = _DARK_MEANINGS if dark else _LIGHT_MEANINGS
    if dark:  # the terminal's own background and text: never fight the person's colour scheme
        ground = {"foreground": "ansi_default", "background": "ansi_default"}
        cursor = {"block-cursor-foreground": "ansi_black", "block-cursor-background": "ansi_white"}
        blurred = "ansi_bright_black"
        pair = {"ansi-background": "ansi_black", "ansi-foreground": "ansi_white"}
    else:  # a light design has to bring its own light ground
        ground = {"foreground": "ansi_black", "background": "ansi_bright_white"}
        cursor = {"block-cursor-foreground": "ansi_bright_white", "block-cursor-background": "ansi_black"}
        blurred = "ansi_white"
        pair = {"ansi-background": "ansi_white", "ansi-foreground": "ansi_black"}
    return Theme(
        name=name,
        ansi=True,
        dark=dark,
        primary=primary,
        secondary=secondary,
        accent=accent,
        surface=ground["background"],
        panel=ground["background"],
        boost=ground["background"],
        **ground,
        **meanings,
        variables={
            "border": accent,  # focus
            "border-blurred": blurred,
            **pair,  # what Textual's widgets use for "the terminal's own" colours (buttons, checkboxes)
            **cursor,  # selection
            "block-cursor-text-style": "bold",
            "block-cursor-blurred-foreground": ground["foreground"],
            "block-cursor-blurred-background": ground["background"],
            "block-cursor-blurred-text-style": "underline",
            "input-cursor-text-style": "reverse",
            "input-selection-background": secondary,
            "footer-key-foreground": accent,
            "text-muted": ground["foreground"],
            "text-disabled": ground["foreground"],
            "scrollbar": primary,
            "scrollbar-hover": accent,
            "scrollbar-active": accent,
            "scrollbar-background": ground["background"],
            "scrollbar-background-hover": ground["background"],
            "scrollbar-background-active": ground["background"],
        },
    )


def full_color_theme(name: str) -> Theme:
    return MLOPS_THEME if name == MLOPS_THEME.name else BUILTIN_THEMES[name]


def themes_for(capabilities: Capabilities) -> list[Theme]:
    """The design of every theme in :data:`THEMES` for this terminal, to register under their names."""
    make = ansi_theme if capabilities.ansi_palette else full_color_theme
    return [make(name) for name in THEMES]
