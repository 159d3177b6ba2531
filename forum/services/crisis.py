"""Crisis-aware posting: noticing words of self-harm or suicide before they are published.

The phrases and crisis lines come from ``seed/crisis.toml`` (``CRISIS_FILE``), read once
when the app starts. Matching is the watched words' (forum/phrase_matching.py): whole
words or phrases, in any case or script, through the same disguises. A match never stops
anyone: the author sees the crisis lines first and may post anyway, and then moderators
are given an urgent item to check in with them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from .. import phrase_matching

# Lines that apply wherever the member lives: shown after the country ones.
EVERYWHERE = "*"
# What people type for a country that is not its ISO 3166 code (the United Kingdom is "GB").
COUNTRY_ALIASES = {"UK": "GB"}


@dataclass(frozen=True)
class CrisisLine:
    countries: tuple[str, ...]
    where: str
    name: str
    how: str
    url: str | None = None

    @classmethod
    def from_file(cls, fields: dict) -> CrisisLine:
        """A ``[[lines]]`` entry: ``countries = ["GB", "IE"]``, or one ``country = "US"``."""
        fields = dict(fields)
        countries = fields.pop("countries", None) or [fields.pop("country")]
        return cls(countries=tuple(country_code(code) for code in countries), **fields)

    @property
    def is_everywhere(self) -> bool:
        return EVERYWHERE in self.countries


def country_code(code: str) -> str:
    """``code`` as the crisis file spells countries: upper case, "UK" read as "GB"."""
    code = code.strip().upper()
    return COUNTRY_ALIASES.get(code, code)


@dataclass(frozen=True)
class CrisisSettings:
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    exceptions: tuple[re.Pattern, ...]
    lines: tuple[CrisisLine, ...]

    def find(self, text: str) -> list[str]:
        """The crisis phrases in ``text``, in the order the settings list them."""
        readings = []
        for reading in phrase_matching.readings(text):
            for exception in self.exceptions:
                reading = exception.sub(" ", reading)
            readings.append(reading)
        return [
            phrase
            for phrase, pattern in zip(self.phrases, self.patterns, strict=True)
            if phrase_matching.occurs(pattern, tuple(readings))
        ]


def read_settings(path: Path, country: str) -> CrisisSettings:
    """Read the crisis file; ``country``'s lines first, then the others, then everywhere's."""
    with open(path, "rb") as handle:
        described = tomllib.load(handle)
    phrases = tuple(dict.fromkeys(described.get("phrases", [])))
    lines = [CrisisLine.from_file(line) for line in described.get("lines", [])]
    country = country_code(country)

    def place(line: CrisisLine) -> int:
        if line.is_everywhere:
            return 2
        return 0 if country in line.countries else 1

    return CrisisSettings(
        phrases=phrases,
        patterns=tuple(phrase_matching.pattern_for(phrase) for phrase in phrases),
        exceptions=tuple(
            phrase_matching.pattern_for(phrase) for phrase in described.get("not_crisis", [])
        ),
        lines=tuple(sorted(lines, key=place)),
    )


def init_app(app: Flask) -> None:
    app.extensions["harbor_crisis"] = read_settings(
        Path(app.config["CRISIS_FILE"]), app.config["CRISIS_COUNTRY"]
    )


def settings() -> CrisisSettings:
    return current_app.extensions["harbor_crisis"]


def find(text: str) -> list[str]:
    return settings().find(text)


def lines() -> tuple[CrisisLine, ...]:
    return settings().lines
