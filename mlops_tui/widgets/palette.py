"""Command-palette provider (ctrl+p): every app action, every screen, theme and profile switch."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from mlops_tui import actions


class ActionsProvider(Provider):
    """Lists :data:`mlops_tui.actions.ACTIONS` (minus destructive ones in read-only mode)."""

    def _entries(self) -> list[tuple[str, str, str]]:
        app = self.app
        read_only = getattr(app, "read_only", False)
        entries = []
        for action in actions.ACTIONS:
            if action.destructive and read_only:
                continue
            key = f"  [{action.key}]" if action.key else ""
            where = f" ({action.screen})" if action.screen else ""
            entries.append((f"{action.help}{where}", f":{action.name}{key}", action.name))
        for name in getattr(app, "profile_names", lambda: [])():
            entries.append((f"Switch to profile {name}", f":profile {name}", f"profile {name}"))
        return entries

    async def discover(self) -> Hits:
        for title, help_text, command in self._entries():
            yield DiscoveryHit(title, partial(self._run, command), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, command in self._entries():
            score = max(matcher.match(title), matcher.match(command))
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, command), help=help_text)

    async def _run(self, command: str) -> None:
        await self.app.run_command_line(command)  # type: ignore[attr-defined]
