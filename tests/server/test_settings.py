"""Production refuses unsafe settings; development needs none."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from settings import Settings


def test_development_works_without_configuration(monkeypatch):
    for var in ("SECRET_KEY", "DATABASE_URL", "ENV", "DEBUG"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert s.departements == ("52", "54", "55") and s.database_url.startswith("sqlite:///")


@pytest.mark.parametrize("secret", [None, "", "short"])
def test_production_refuses_a_missing_or_weak_secret(monkeypatch, secret):
    monkeypatch.setenv("ENV", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings()


def test_development_without_a_key_gets_a_random_one(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENV", raising=False)
    key = Settings().effective_secret_key
    assert len(key) == 64 and key == Settings().effective_secret_key  # stable within the process


def test_production_refuses_debug(monkeypatch):
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DEBUG", "1")
    with pytest.raises(ValidationError, match="DEBUG"):
        Settings()


def test_territory_is_configuration(monkeypatch):
    monkeypatch.setenv("TERRITORY_DEPARTEMENTS", " 55 , 52 ")
    assert Settings().departements == ("55", "52")


@pytest.mark.parametrize("key", [None, "short"])
def test_production_refuses_the_development_secrecy_key(monkeypatch, key):
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    if key is None:
        monkeypatch.delenv("SECRECY_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRECY_KEY", key)
    with pytest.raises(ValidationError, match="SECRECY_KEY"):
        Settings()



def test_env_example_lists_every_setting_with_a_comment():
    import re

    from settings import ROOT

    setting = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=")
    lines = (ROOT / ".env.example").read_text().splitlines()
    listed = {m.group(1): i for i, line in enumerate(lines) if (m := setting.match(line))}
    assert set(listed) == {name.upper() for name in Settings.model_fields}
    for name, i in listed.items():  # a comment line heads each setting, or the group of settings it is in
        while i > 0 and setting.match(lines[i - 1]):
            i -= 1
        assert i > 0 and lines[i - 1].startswith("# "), f"{name} has no comment"
