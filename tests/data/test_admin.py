"""Administrative changes: authorised for admins only, validated, and each one audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from data import admin
from data.access import AccessScope, full_scope, scope_for_user
from data.models import AuditEvent, Dataset, FeedSource, Grant, User
from data.users import get_by_email, verify_password

TERRITORY = ("52", "54", "55")


@pytest.fixture()
def actor(db) -> admin.Actor:
    user = get_by_email(db, email="admin@demo.e-meuse-sante.fr")
    return admin.Actor(scope_for_user(db, user, territory=TERRITORY), user.email, "10.0.0.1")


def _last_audit(db, action: str) -> AuditEvent:
    db.flush()
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())).first()


def test_non_admins_are_refused(db):
    member = AccessScope(5, "member", "usagers", frozenset(TERRITORY), ())
    ars = AccessScope(6, "ars", None, frozenset(TERRITORY), ())
    for scope in (member, ars):
        with pytest.raises(PermissionError):
            admin.list_users(db, actor=admin.Actor(scope, "x@y.fr"))
        with pytest.raises(PermissionError):
            admin.set_grant(db, actor=admin.Actor(scope, "x@y.fr"), college="usagers", dataset="biology",
                            level="detail")


def test_create_user_gives_a_temporary_password_and_is_audited(db, actor):
    user, password = admin.add_user(db, actor=actor, email=" Nouvelle.Elue@Meuse.fr ", full_name="Élue Test",
                                    role="member", college="collectivites", departements=["55"])
    assert user.email == "nouvelle.elue@meuse.fr" and user.must_change_password
    assert verify_password(user, password) and password not in user.password_hash
    event = _last_audit(db, "user.create")
    assert event.actor == actor.email and event.ip == "10.0.0.1"
    assert event.detail["after"]["college"] == "collectivites" and event.detail["after"]["departements"] == ["55"]
    with pytest.raises(admin.AdminError, match="existe déjà"):
        admin.add_user(db, actor=actor, email="nouvelle.elue@meuse.fr", full_name="x", role="member",
                       college="collectivites", departements=None)


@pytest.mark.parametrize("kwargs,message", [
    ({"role": "member", "college": None}, "sept collèges"),
    ({"role": "chef", "college": None}, "Rôle inconnu"),
    ({"role": "member", "college": "usagers", "departements": ["99"]}, "hors du territoire"),
])
def test_invalid_users_are_refused(db, actor, kwargs, message):
    with pytest.raises(admin.AdminError, match=message):
        admin.add_user(db, actor=actor, email="a@b.fr", full_name="A", **{"departements": None, **kwargs})


def test_update_user_records_before_and_after(db, actor):
    target = get_by_email(db, email="usagers@demo.e-meuse-sante.fr")
    admin.update_user(db, actor=actor, user_id=target.id, role="member", college="usagers", departements=["52"],
                      active=False)
    event = _last_audit(db, "user.update")
    assert event.detail["before"]["active"] is True and event.detail["after"]["active"] is False
    assert event.detail["after"]["departements"] == ["52"]
    assert scope_for_user(db, target, territory=TERRITORY).departements == frozenset()  # inactive: nothing


def test_admins_cannot_lock_themselves_out(db, actor):
    me = get_by_email(db, email=actor.email)
    with pytest.raises(admin.AdminError, match="propre compte"):
        admin.update_user(db, actor=actor, user_id=me.id, role="admin", college=None, departements=None,
                          active=False)


def test_grant_change_is_audited_and_changes_the_scope(db, actor):
    usager = get_by_email(db, email="usagers@demo.e-meuse-sante.fr")
    assert not scope_for_user(db, usager, territory=TERRITORY).can_see(Dataset.BIOLOGY)
    assert admin.set_grant(db, actor=actor, college="usagers", dataset="biology", level="detail")
    assert not admin.set_grant(db, actor=actor, college="usagers", dataset="biology", level="detail")  # no-op
    event = _last_audit(db, "grant.update")
    assert (event.target, event.detail) == ("usagers/biology", {"before": "none", "after": "detail"})
    assert scope_for_user(db, usager, territory=TERRITORY).can_see(Dataset.BIOLOGY)
    assert db.get(Grant, ("usagers", "biology")).level == "detail"
    with pytest.raises(admin.AdminError):
        admin.set_grant(db, actor=actor, college="usagers", dataset="biology", level="tout")


def test_api_keys_are_shown_once_stored_hashed_and_revocable(db, actor):
    source = admin.create_source(db, actor=actor, name="Logiciel EHPAD test", feed_kind="teleconsultation")
    key = admin.issue_key(db, actor=actor, source_id=source.id)
    assert key.startswith("emk_") and key not in (source.key_hash or "") and source.key_prefix in key
    assert admin.source_for_key(db, key=key).id == source.id
    assert admin.source_for_key(db, key=key + "x") is None
    assert _last_audit(db, "apikey.issue").detail["prefix"] == source.key_prefix
    new_key = admin.issue_key(db, actor=actor, source_id=source.id)
    assert admin.source_for_key(db, key=key) is None and admin.source_for_key(db, key=new_key).id == source.id
    admin.revoke_key(db, actor=actor, source_id=source.id)
    assert admin.source_for_key(db, key=new_key) is None
    assert _last_audit(db, "apikey.revoke").target == "Logiciel EHPAD test"
    stored = db.scalars(select(FeedSource.key_hash)).all()
    assert new_key not in stored and key not in stored


def test_reset_password_forces_a_change(db, actor):
    target = get_by_email(db, email="recherche@demo.e-meuse-sante.fr")
    password = admin.reset_password(db, actor=actor, user_id=target.id)
    assert verify_password(target, password) and target.must_change_password
    errors = admin.change_own_password(db, user=target, new_password="azertyuiop123", ip=None)
    assert errors and "courants" in errors[0]
    assert admin.change_own_password(db, user=target, new_password="court", ip=None)[0].startswith("Le mot de passe")
    assert admin.change_own_password(db, user=target, new_password="Bergerie-Verdun-lilas-1916", ip=None) == []
    assert not target.must_change_password
    assert _last_audit(db, "password.change").user_id == target.id


def test_full_scope_is_not_a_user(db):
    assert full_scope(TERRITORY).user_id is None
    assert db.scalar(select(User).where(User.id.is_(None))) is None
