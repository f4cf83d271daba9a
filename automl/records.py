"""The typed form of ``run.json`` and ``best/model.json``: frozen records read by attribute, not by string key.

``run.json`` (:class:`RunRecord`, its ``data`` a :class:`DataRecord`) says what
was asked for and on what data; ``best/model.json`` (:class:`ModelRecord`, its
``members`` :class:`MemberRecord` s) says what was delivered. Readers used to
index the raw dicts with bare string keys, so a renamed key
failed at run time in one of ~90 places; a renamed field now fails in the type
checker and the linter.

The records do not validate: ``run.json`` is checked by
:func:`automl.manifest_check.check_values` and ``model.json`` by
:meth:`automl.api.Run.model_record` before ``from_json`` runs. ``from_json``
only has to be total: a missing optional key reads as its default, a key it
does not know (a plugin's, a newer automl's) is kept in ``extra`` and written
back by ``to_json``. A value of ``None`` reads as the default and is not
written, so ``X.from_json(d).to_json() == d`` holds for everything automl
writes (it writes ``to_json()``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

FORMAT_VERSION = 1  # of run.json: a run of another version is refused (automl.runs)


def _known(cls: type, mapping: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys of ``mapping`` that are fields of ``cls`` (without ``None`` values), and the rest (kept as extra)."""
    names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
    known = {k: v for k, v in mapping.items() if k in names and v is not None}
    return known, {k: v for k, v in mapping.items() if k not in names}


def _as_json(value: Any) -> Any:
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_as_json(v) for v in value]
    return value


def _to_json(record: Any) -> dict[str, Any]:
    """The record's fields that hold a value, then its unknown keys as they were read."""
    out = {f.name: _as_json(getattr(record, f.name)) for f in dataclasses.fields(record)
           if f.name != "extra" and getattr(record, f.name) is not None}
    return {**out, **record.extra}


def _mapping(value: Any) -> Mapping[str, Any]:
    """A nested object as read; anything else (only an unchecked file holds one) reads as empty."""
    return value if isinstance(value, Mapping) else {}


class _Record:
    """What every record shares: its known fields read by name, the rest kept in ``extra`` and written back."""

    @classmethod
    def from_json(cls, mapping: Mapping[str, Any]) -> Self:
        known, extra = _known(cls, _mapping(mapping))
        return cls(**cls._nested(known), extra=extra)

    @classmethod
    def _nested(cls, known: dict[str, Any]) -> dict[str, Any]:
        """The known fields with nested records read as records (none here)."""
        return known

    def to_json(self) -> dict[str, Any]:
        return _to_json(self)


@dataclass(frozen=True)
class DataRecord(_Record):
    """``run.json``'s ``data``: where the training data was, its fingerprint, rows and summary for the report."""

    path: str | None = None
    fingerprint: str | None = None
    rows: int | None = None
    summary: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord(_Record):
    """``run.json``: what was asked for, on what data, and how the run stands.

    The first seven fields are required in a file (:mod:`automl.runs` refuses a
    run without them); the rest are optional and default to "not given".
    """

    format_version: int = FORMAT_VERSION
    task: str = ""
    kind: str = ""
    metric: str = ""
    direction: str = "maximize"
    seed: int = 0
    models: list[str] = field(default_factory=list)
    name: str | None = None
    created: str | None = None
    finished: str | None = None
    status: str | None = None
    command: str | None = None
    target: str | int | None = None
    task_options: Mapping[str, Any] = field(default_factory=dict)
    time_budget: float | None = None
    trials: int | None = None
    trial_timeout: float | None = None
    workers: int | None = None
    storage: str | None = None
    study: str | None = None
    artifacts: str | None = None
    data: DataRecord = field(default_factory=DataRecord)
    versions: Mapping[str, str] = field(default_factory=dict)
    preset: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def _nested(cls, known: dict[str, Any]) -> dict[str, Any]:
        return {**known, "data": DataRecord.from_json(known["data"])} if "data" in known else known

    @property
    def n_workers(self) -> int:
        """The search processes asked for: one when ``workers`` is not given."""
        return int(self.workers or 1)


def field_names(cls: type) -> frozenset[str]:
    """The keys a record of ``cls`` reads (``extra`` excluded), e.g. to refuse an unknown ``update_manifest``."""
    return frozenset(f.name for f in dataclasses.fields(cls)) - {"extra"}


@dataclass(frozen=True)
class MemberRecord(_Record):
    """One member of the final model in ``model.json``: the trial it came from and how it was saved.

    ``refit`` says whether it was refit on all the data; when it was not, ``folds``
    counts the trial's fold models saved in its folder (averaged at predict).
    The values are as read: :func:`automl.integrity.member_folder` checks their
    types before a member is loaded.
    """

    trial: int | None = None
    model: str | None = None
    weight: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    refit: bool | None = None
    folds: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_folds(self) -> int:
        """The fold models saved for this member: 0 when it was refit (one model in its folder)."""
        return int(self.folds or 0)


@dataclass(frozen=True)
class ModelRecord(_Record):
    """``best/model.json``: the delivered model, its validation score, why it was chosen and its members."""

    task: str = ""
    kind: str | None = None
    metric: str | None = None
    validation_score: float | None = None
    ensemble: bool = False
    why: str | None = None
    classes: list[Any] | None = None
    members: list[MemberRecord] = field(default_factory=list)
    not_refit: list[int] = field(default_factory=list)
    refit_seconds: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def _nested(cls, known: dict[str, Any]) -> dict[str, Any]:
        if "members" not in known:
            return known
        members = known["members"] if isinstance(known["members"], list) else []
        return {**known, "members": [MemberRecord.from_json(m) for m in members]}
