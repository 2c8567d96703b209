"""The caller's access scope: one authorisation decision, passed to every data function."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Dataset, Grant, Level, Role, User

COLLEGES: dict[str, str] = {
    "financeurs": "Financeurs",
    "collectivites": "Collectivités",
    "entreprises": "Entreprises et prestataires",
    "usagers": "Usagers / patients",
    "professionnels": "Professionnels de santé",
    "etablissements": "Établissements sociaux et médico-sociaux",
    "recherche": "Recherche et formation",
}

_LEVEL_ORDER = {Level.NONE: 0, Level.SUMMARY: 1, Level.DETAIL: 2}


@dataclass(frozen=True)
class AccessScope:
    """What one user may see: dataset levels and the départements they are limited to."""

    user_id: int | None
    role: str
    college: str | None
    departements: frozenset[str]
    levels: tuple[tuple[str, str], ...] = field(default=())

    def level(self, dataset: Dataset | str) -> Level:
        key = dataset.value if isinstance(dataset, Dataset) else dataset
        return Level(dict(self.levels).get(key, Level.NONE.value))

    def can_see(self, dataset: Dataset | str, at_least: Level = Level.SUMMARY) -> bool:
        return _LEVEL_ORDER[self.level(dataset)] >= _LEVEL_ORDER[at_least]

    def restrict(self, requested: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
        """The requested départements the caller may see (all of theirs when none requested)."""
        if not requested:
            return tuple(sorted(self.departements))
        return tuple(sorted(d for d in requested if d in self.departements))

    def can_open(self, dataset: str | None, roles: tuple[str, ...] | None) -> bool:
        """Whether a page declaring this dataset and these roles may be opened."""
        if roles and self.role not in roles:
            return False
        return dataset is None or self.can_see(dataset)

    @property
    def cache_key(self) -> str:
        levels = ",".join(f"{k}={v}" for k, v in self.levels)
        return f"{self.role}|{self.college}|{','.join(sorted(self.departements))}|{levels}"


def scope_for_user(session: Session, user: User, *, territory: tuple[str, ...]) -> AccessScope:
    """Build the scope from the stored user and grants (never from what a browser sends)."""
    deps = frozenset(territory) if not user.departements else frozenset(user.departements) & frozenset(territory)
    if not user.active:
        return AccessScope(user.id, user.role, user.college_slug, frozenset(), ())
    if user.role in (Role.ADMIN.value, Role.ARS.value):
        levels = tuple((d.value, Level.DETAIL.value) for d in Dataset)
    elif user.college_slug:
        grants = dict(session.execute(
            select(Grant.dataset, Grant.level).where(Grant.college_slug == user.college_slug)
        ).all())
        levels = tuple((d.value, grants.get(d.value, Level.NONE.value)) for d in Dataset)
    else:
        levels = tuple((d.value, Level.NONE.value) for d in Dataset)
    return AccessScope(user.id, user.role, user.college_slug, deps, levels)


def full_scope(territory: tuple[str, ...]) -> AccessScope:
    """Detail on everything: for command-line tools, benchmarks and tests, never for a web request."""
    return AccessScope(None, Role.ADMIN.value, None, frozenset(territory),
                       tuple((d.value, Level.DETAIL.value) for d in Dataset))
