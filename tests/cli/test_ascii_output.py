"""Headless output in a locale without UTF-8: the same ASCII stand-ins as the TUI."""

from __future__ import annotations

import pytest

from mlops_tui.headless.common import out


def test_c_locale_prints_ascii(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.delenv("MLOPS_TUI_GLYPHS", raising=False)
    out("✔ Lab 5 · West 23rd St → Centre Market Pl — 13 min 32 s…")
    assert capsys.readouterr().out == "+ Lab 5 - West 23rd St > Centre Market Pl - 13 min 32 s.\n"


def test_utf8_locale_prints_as_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_CTYPE", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("MLOPS_TUI_GLYPHS", raising=False)
    out("✔ done · ok")
    assert capsys.readouterr().out == "✔ done · ok\n"
