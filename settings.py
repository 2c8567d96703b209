"""One settings object read from the environment (pydantic-settings); no configuration needed in development."""
from __future__ import annotations

import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent
# Development without SECRET_KEY: a random key for this process (sessions end when it restarts).
_PROCESS_KEY = secrets.token_hex(32)
# Development and tests only: the published noise must not change when a process restarts (or an
# attacker could average it away across restarts), so it is a fixed key; production refuses it.
DEVELOPMENT_SECRECY_KEY = "development-only-secrecy-key"


class Settings(BaseSettings):
    """Runtime configuration; production refuses a missing/default secret key and debug mode."""

    model_config = SettingsConfigDict(env_prefix="", env_file=None, extra="ignore")

    env: str = "development"  # ENV: development | production | test
    secret_key: str | None = None
    debug: bool = False
    database_url: str = f"sqlite:///{ROOT / 'instance' / 'emeuse.sqlite3'}"
    # optional streaming replica for dashboard reads (server/database.py); the primary keeps every write
    database_read_url: str | None = None
    # A live page's view (the five polled pages) may be served up to this many seconds old instead of being
    # recomputed on every ingested batch (server/cache.py page_view); the page says when its data dates from.
    # 0: every view reflects the last committed change.
    live_view_max_age_seconds: float = 10.0
    replica_wait_seconds: float = 0.25  # how long a view waits for the replica to replay its cache key's WAL
    redis_url: str | None = None
    redis_prefix: str = "emeuse:"  # cache keys and rate-limit counters; one per stack sharing a Redis
    territory_departements: str = "52,54,55"
    geo_dir: Path = ROOT / "data" / "geo"
    demo_on_first_start: bool = True
    demo_years: int = 2
    demo_seed: int = 20261122
    map_tile_url: str | None = None
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    login_rate_limit: str = "10 per minute"
    api_rate_limit: str = "600 per minute"  # per API key
    ingest_earliest: date = date(2015, 1, 1)  # events and periods before it are refused
    ingest_horizon_days: int = 366  # planned moments and periods at most this far ahead
    lockout_failures: int = 5
    lockout_minutes: int = 15
    totp_required_roles: str = ""  # e.g. "admin,ars" to make the second factor mandatory
    proxy_hops: int = 0  # number of trusted reverse proxies setting X-Forwarded-* headers
    # statistical secrecy at summary level (data/secrecy.py): the cell-key method's key and noise table
    secrecy_key: str = DEVELOPMENT_SECRECY_KEY
    secrecy_noise: str = "-2:0.05,-1:0.2,0:0.5,1:0.2,2:0.05"
    # mail (data/outbox.py) and the worker (server/worker.py)
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_tls: str = "none"  # none | starttls | ssl
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_sender: str = "e-Meuse Santé <ne-pas-repondre@e-meuse-sante.fr>"
    public_base_url: str = "http://localhost:8050"  # links in mails
    worker_interval_seconds: float = 60.0
    alert_reminder_hours: int = 24  # a rule without its own delay reminds after this while firing
    # PostgreSQL partitions of the raw event tables (data/partitions.py), kept by the worker
    partition_premake_months: int = 6  # months of partitions made ahead
    partition_retention_months: int = 0  # detach partitions older than this many months; 0 keeps them all
    # programme evaluation (data/evaluation_economy.py documents each default and its source)
    evaluation_co2_kg_per_km: float = 0.192  # ADEME Base Carbone, thermal car, use phase (kgCO2e per km)
    evaluation_cost_eur_per_km: float = 0.30  # Assurance maladie tariff for individual transport (arrêté 30/03/2015)
    evaluation_detour_factor: float = 1.3  # road distance / straight-line distance
    evaluation_lab_turnaround_hours: float = 24.0  # sample → result by the laboratory route (assumption)

    @field_validator("territory_departements")
    @classmethod
    def _deps(cls, value: str) -> str:
        codes = [c.strip() for c in value.split(",") if c.strip()]
        if not codes:
            raise ValueError("TERRITORY_DEPARTEMENTS must list at least one département")
        return ",".join(codes)

    @field_validator("evaluation_co2_kg_per_km", "evaluation_cost_eur_per_km", "evaluation_lab_turnaround_hours")
    @classmethod
    def _non_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("evaluation factors must not be negative")
        return value

    @field_validator("evaluation_detour_factor")
    @classmethod
    def _detour(cls, value: float) -> float:
        if value < 1:
            raise ValueError("EVALUATION_DETOUR_FACTOR must be at least 1 (no road is shorter than a straight line)")
        return value

    @field_validator("smtp_tls")
    @classmethod
    def _tls(cls, value: str) -> str:
        if value not in ("none", "starttls", "ssl"):
            raise ValueError("SMTP_TLS must be none, starttls or ssl")
        return value

    @model_validator(mode="after")
    def _replica_is_postgres(self) -> Settings:
        if self.database_read_url and not (self.database_url.startswith("postgresql")
                                           and self.database_read_url.startswith("postgresql")):
            raise ValueError("DATABASE_READ_URL is a PostgreSQL streaming replica of a PostgreSQL DATABASE_URL")
        return self

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.env == "production":
            if not self.secret_key or len(self.secret_key) < 32:
                raise ValueError("SECRET_KEY must be set to a random value of 32+ characters in production")
            if self.debug:
                raise ValueError("DEBUG must be off in production")
            if self.secrecy_key == DEVELOPMENT_SECRECY_KEY or len(self.secrecy_key) < 32:
                raise ValueError("SECRECY_KEY must be set to a random value of 32+ characters in production")
        return self

    @property
    def effective_secret_key(self) -> str:
        return self.secret_key or _PROCESS_KEY

    @property
    def departements(self) -> tuple[str, ...]:
        return tuple(self.territory_departements.split(","))

    @property
    def totp_required_for(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.totp_required_roles.split(",") if r.strip())

    @property
    def smtp_config(self):
        from data.outbox import SmtpConfig

        return SmtpConfig(host=self.smtp_host, port=self.smtp_port, tls=self.smtp_tls, user=self.smtp_user,
                          password=self.smtp_password, sender=self.mail_sender)

    @property
    def is_production(self) -> bool:
        return self.env == "production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
