"""Production refuses unsafe settings; development needs none."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from settings import DEV_SECRET_KEY, Settings


def test_development_works_without_configuration(monkeypatch):
    for var in ("SECRET_KEY", "DATABASE_URL", "ENV", "DEBUG"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert s.departements == ("52", "54", "55") and s.database_url.startswith("sqlite:///")


@pytest.mark.parametrize("secret", [DEV_SECRET_KEY, "", "short"])
def test_production_refuses_a_missing_or_default_secret(monkeypatch, secret):
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings()


def test_production_refuses_debug(monkeypatch):
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DEBUG", "1")
    with pytest.raises(ValidationError, match="DEBUG"):
        Settings()


def test_territory_is_configuration(monkeypatch):
    monkeypatch.setenv("TERRITORY_DEPARTEMENTS", " 55 , 52 ")
    assert Settings().departements == ("55", "52")
