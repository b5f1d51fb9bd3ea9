"""Contrast of both themes: WCAG 2.1 relative luminance over every pair the style sheet draws."""

from __future__ import annotations

import re

import pytest

from ui.theme import LIGHT_ON_DARK, PAIRS, THEMES, Palette, stylesheet


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance (definition in the Understanding SC 1.4.3 glossary)."""
    h = hex_colour.lstrip("#")
    r, g, b = (_channel(int(h[i : i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: str, b: str) -> float:
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def test_ratio_matches_published_values() -> None:
    assert ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    # WebAIM's contrast checker: #767676 on white is the lightest grey passing 4.5:1 (4.54:1)
    assert ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert ratio("#777777", "#FFFFFF") < 4.5


@pytest.mark.parametrize("palette", THEMES, ids=lambda p: p.name)
def test_every_pair_meets_its_ratio(palette: Palette) -> None:
    roles = palette.roles()
    failures = [
        f"{fg} {roles[fg]} on {bg} {roles[bg]}: {ratio(roles[fg], roles[bg]):.2f} < {need}"
        for fg, bg, need in PAIRS
        if ratio(roles[fg], roles[bg]) < need
    ]
    assert not failures


@pytest.mark.parametrize("palette", THEMES, ids=lambda p: p.name)
def test_style_sheet_uses_only_the_palette(palette: Palette) -> None:
    sheet = stylesheet(palette)
    used = {c.upper() for c in re.findall(r"#[0-9A-Fa-f]{6}\b", sheet)}
    assert used <= {v.upper() for v in palette.roles().values()}
    assert used  # the sheet is coloured at all


def test_the_reported_low_contrast_borders_are_gone() -> None:
    p = LIGHT_ON_DARK
    assert ratio(p.surface_line, p.background) >= 3  # key borders were 2.2:1
    assert ratio(p.surface_line, p.surface) >= 3  # card borders were 1.3:1
    assert ratio(p.focus, p.accent) >= 3  # focus ring on a selected card was 1.4:1


def test_high_contrast_theme_is_dark_on_light() -> None:
    light, dark = (p for p in THEMES if p.name == "dark_on_light"), LIGHT_ON_DARK
    theme = next(light)
    assert luminance(theme.background) > luminance(theme.text)
    assert luminance(dark.background) < luminance(dark.text)
    assert ratio(theme.text, theme.background) >= 7


def test_large_text_scales_every_font_size() -> None:
    normal = [int(s) for s in re.findall(r"font-size: (\d+)px", stylesheet())]
    large = [int(s) for s in re.findall(r"font-size: (\d+)px", stylesheet(scale=1.5))]
    assert len(normal) == len(large) > 10
    assert all(b >= 1.5 * a - 0.5 for a, b in zip(normal, large, strict=True))
