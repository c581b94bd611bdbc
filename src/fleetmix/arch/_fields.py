"""Typed reads of fields from a config.json dict, with messages that name the file and field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fleetmix.errors import ArchConfigError


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class FieldReader:
    """Reads typed fields from one config; every failure is an ArchConfigError naming `source`.

    A key that is present with value null counts as missing (HF writes `"q_lora_rank": null`).
    """

    def __init__(self, config: Mapping[str, Any], source: str) -> None:
        self.config = config
        self.source = source

    def error(self, key: str, expected: str) -> ArchConfigError:
        value = self.config.get(key)
        found = "missing" if value is None else repr(value)
        return ArchConfigError(f"{self.source}: field {key!r} is {found} (expected {expected})")

    def has(self, key: str) -> bool:
        return self.config.get(key) is not None

    def int_(self, key: str, default: int | _Missing = MISSING, *, minimum: int = 1) -> int:
        """An integer >= minimum; `default` when the key is missing or null."""
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        value = self.config.get(key)
        if value is None:
            if isinstance(default, _Missing):
                raise self.error(key, expected)
            return default
        # bool is an int subclass in Python; JSON true is not a size.
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, expected)
        return value

    def bool_(self, key: str, default: bool) -> bool:
        value = self.config.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "true or false")
        return value

    def str_(self, key: str, expected: str) -> str:
        value = self.config.get(key)
        if not isinstance(value, str):
            raise self.error(key, expected)
        return value

    def str_list(self, key: str, allowed: tuple[str, ...], length: int) -> list[str]:
        expected = f"a list of {length} strings from {', '.join(allowed)}"
        value = self.config.get(key)
        if not isinstance(value, list) or len(value) != length:
            raise self.error(key, expected)
        if any(v not in allowed for v in value):
            raise self.error(key, expected)
        return [str(v) for v in value]

    def int_list(self, key: str, *, maximum: int) -> list[int]:
        """A list of integers in 0..maximum-1; [] when missing."""
        value = self.config.get(key)
        if value is None:
            return []
        expected = f"a list of integers in 0..{maximum - 1}"
        if not isinstance(value, list):
            raise self.error(key, expected)
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < maximum:
                raise self.error(key, expected)
        return list(value)
