"""A keyed registry whose errors always say what the valid keys are.

Plugins register plain data (tasks, models, metrics). Two plugins claiming the
same key is an error naming both, and a lookup of an unknown key lists the
keys that do exist, as AutoGluon's model registry does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from automl.errors import UserError

T = TypeVar("T")


class DuplicateKey(UserError):
    """Two plugins registered the same key."""


class UnknownKey(UserError):
    """A key was asked for that no plugin registered."""


class Registry(Generic[T]):
    """Items of one kind, by key, remembering which plugin registered each."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}

    def add(self, key: str, item: T, plugin: str) -> None:
        if key in self._items:
            raise DuplicateKey(
                f"{self.kind} '{key}' is registered twice: by plugin '{self._owners[key]}' "
                f"and by plugin '{plugin}'; rename one of them or disable a plugin with "
                "AUTOML_DISABLE_PLUGINS"
            )
        self._items[key] = item
        self._owners[key] = plugin

    def get(self, key: str, hint: str = "") -> T:
        try:
            return self._items[key]
        except KeyError:
            valid = ", ".join(sorted(self._items)) or "(none registered)"
            raise UnknownKey(f"unknown {self.kind} '{key}'{hint}; valid: {valid}") from None

    def owner(self, key: str) -> str:
        return self._owners[key]

    def owned_by(self, plugin: str) -> list[str]:
        return [key for key, owner in self._owners.items() if owner == plugin]

    def keys(self) -> list[str]:
        return list(self._items)

    def where(self, predicate: Callable[[T], bool]) -> list[T]:
        return [item for item in self._items.values() if predicate(item)]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)
