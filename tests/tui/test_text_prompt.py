"""The one-line prompt (the broadcast's): a text over the limit is refused on enter, saying so,
instead of the input cutting a paste silently and the dialog answering "Sent" (workshop tester);
a current value with line breaks or terminal controls is shown as one plain line."""

from __future__ import annotations

from mlops_tui.screens.text_prompt import TextPrompt
from textual.app import App
from textual.widgets import Input, Static


class _Host(App[None]):
    def __init__(self, prompt: TextPrompt) -> None:
        super().__init__()
        self.prompt = prompt
        self.answers: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.prompt, self.answers.append)


async def test_a_pasted_text_over_the_limit_is_refused_not_cut() -> None:
    app = _Host(TextPrompt("", "message", limit=500))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field = app.prompt.query_one(Input)
        field.insert_text_at_cursor("x" * 611)  # what a paste does
        await pilot.pause()
        assert field.value == "x" * 611
        count = app.prompt.query_one("#prompt-count", Static)
        assert str(count.render()) == "611 of at most 500 characters" and count.has_class("-over")
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == [] and app.screen is app.prompt
        assert "at most 500, shorten it (nothing was sent)" in str(count.render())
        field.value = "x" * 500
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == ["x" * 500]


async def test_the_current_value_is_one_plain_line() -> None:
    app = _Host(TextPrompt("stop\tnow\r\n\x1b[31mred\x1b[0m please", "message", limit=500))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.prompt.query_one(Input).value == "stop now red please"
