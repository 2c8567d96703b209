"""Saved scenarios of the coverage planner: named, per author, audited (created, changed, deleted).

Who may: the planner works at commune level, so only callers at `detail` on coverage (ARS officers,
administrators, and members whose college is granted it) list, open or save scenarios — checked here
on every call, whatever the route. Anyone allowed sees every saved scenario (they are the ARS's
working documents); only its author changes it, its author or an administrator deletes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import audit
from data.access import AccessScope
from data.models import CoverageScenario, Dataset, Level, Role, User
from data.planner import Plan, plan_from_json
from data.users import utcnow

NAME_MAX = 120


class ScenarioRefused(PermissionError):
    """The caller may not plan (no detail on coverage) or not touch this scenario."""


@dataclass(frozen=True)
class SavedScenario:
    id: int
    name: str
    author: str
    author_id: int
    updated_at: datetime
    plan: Plan
    query: str


def may_plan(scope: AccessScope | None) -> bool:
    return scope is not None and scope.level(Dataset.COVERAGE) == Level.DETAIL


def _check(scope: AccessScope | None) -> None:
    if not may_plan(scope):
        raise ScenarioRefused("planner requires detail on coverage")


def _saved(row: CoverageScenario, author: str) -> SavedScenario:
    return SavedScenario(row.id, row.name, author, row.author_id, row.updated_at, plan_from_json(row.changes),
                         row.query or "")


def list_scenarios(session: Session, *, scope: AccessScope) -> list[SavedScenario]:
    """Every saved scenario, newest change first."""
    _check(scope)
    rows = session.execute(select(CoverageScenario, User.full_name).join(User, User.id == CoverageScenario.author_id)
                           .order_by(CoverageScenario.updated_at.desc(), CoverageScenario.id.desc())).all()
    return [_saved(row, author) for row, author in rows]


def get_scenario(session: Session, *, scope: AccessScope, scenario_id: int) -> SavedScenario | None:
    _check(scope)
    found = session.execute(select(CoverageScenario, User.full_name).join(User, User.id == CoverageScenario.author_id)
                            .where(CoverageScenario.id == scenario_id)).first()
    return _saved(*found) if found else None


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())[:NAME_MAX]
    if not name:
        raise ValueError("un scénario a besoin d'un nom")
    return name


def save_scenario(session: Session, *, scope: AccessScope, actor: str, name: str, plan: Plan, query: str,
                  scenario_id: int | None = None, ip: str | None = None) -> SavedScenario:
    """Create a scenario, or change one of the caller's own (`scenario_id`); audited with before/after."""
    _check(scope)
    if scope.user_id is None:
        raise ScenarioRefused("a scenario has an author")
    name = _clean_name(name)
    now = utcnow()
    if scenario_id is None:
        row = CoverageScenario(name=name, author_id=scope.user_id, created_at=now, updated_at=now, query=query,
                               changes=plan.as_json())
        session.add(row)
        session.flush()
        audit.record(session, action="scenario.create", actor=actor, user_id=scope.user_id, target=f"scenario:{row.id}",
                     detail={"name": name, "plan": plan.as_json()}, ip=ip)
    else:
        row = session.get(CoverageScenario, scenario_id)
        if row is None or row.author_id != scope.user_id:
            raise ScenarioRefused("only its author changes a scenario")
        before = {"name": row.name, "plan": row.changes}
        row.name, row.changes, row.query, row.updated_at = name, plan.as_json(), query, now
        audit.record(session, action="scenario.update", actor=actor, user_id=scope.user_id,
                     target=f"scenario:{row.id}",
                     detail={"before": before, "after": {"name": name, "plan": plan.as_json()}}, ip=ip)
    session.flush()
    author = session.get(User, row.author_id).full_name
    return _saved(row, author)


def delete_scenario(session: Session, *, scope: AccessScope, actor: str, scenario_id: int,
                    ip: str | None = None) -> None:
    _check(scope)
    row = session.get(CoverageScenario, scenario_id)
    if row is None:
        return
    if row.author_id != scope.user_id and scope.role != Role.ADMIN.value:
        raise ScenarioRefused("only its author or an administrator deletes a scenario")
    audit.record(session, action="scenario.delete", actor=actor, user_id=scope.user_id, target=f"scenario:{row.id}",
                 detail={"name": row.name, "plan": row.changes}, ip=ip)
    session.delete(row)
    session.flush()
