"""The one settings object: environment variables with the prefix KVALITETSLOOP_ (SPEC 5)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KVALITETSLOOP_", extra="ignore")

    database_url: str = "sqlite:///var/kvalitetsloop.sqlite"
    frameworks_dir: Path = PROJECT_ROOT / "frameworks"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str = "kvalitetsloop"
    smtp_password: str = ""
    # none: plain SMTP (a local sink); starttls; ssl (implicit TLS, port 465)
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    sender: str = "kvalitetsloop@aarhus.example.dk"
    organiser: str = "kvalitet@aarhus.example.dk"
    organiser_name: str = "Børn og Unge, Aarhus Kommune"
    data_team: str = "data@aarhus.example.dk"
    base_url: str = "http://127.0.0.1:8000"
    message_id_domain: str = "kvalitetsloop.aarhus.example.dk"

    # Email part (notifications/): SMTP timeout, the outbox's retries and the sender's lease.
    smtp_timeout: float = 30.0
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: int = 60  # first retry after this; doubles each time
    outbox_backoff_max_seconds: int = 6 * 3600
    # How long (wall clock) a sender holds a claimed row before another sender may take it over.
    outbox_lease_seconds: int = 300
    outbox_batch: int = 200
    # The dispatch flow: how often Prefect retries a group's sending task that left emails
    # waiting, and after how long (the outbox's first backoff; the retry sends what has come due).
    flow_send_retries: int = 2
    flow_send_retry_delay_seconds: int = 60
    # Secret for the capability links in emails (statement, follow-up and supervision forms).
    # Set it in production; the default is for development and demos only.
    link_secret: str = "kvalitetsloop-development-secret"
    # The web forms behind those links come with the portal. Until it is switched on, emails ask
    # for a reply instead (Reply-To is the organiser's mailbox) and nobody gets a dead link.
    forms_enabled: bool = False
    dry_run_dir: Path = Path("var/dry-run")

    # Operations alerts (flows/notify_ops.py, docs/ops-alerts.md): who gets an email when a
    # kvalitetsloop flow run fails or crashes, or an outbox row fails for good. The ops email has
    # its own SMTP server so it arrives while the main one is the thing that is down; each
    # `ops_smtp_*` left unset falls back to the `smtp_*` setting of the same name.
    ops_email: str = ""
    ops_smtp_host: str | None = None
    ops_smtp_port: int | None = None
    ops_smtp_user: str | None = None
    ops_smtp_password: str | None = None
    ops_smtp_tls: Literal["none", "starttls", "ssl"] | None = None
    # The alert lists the outbox rows that have been failing (waiting after a failed try) for
    # longer than this.
    ops_failing_minutes: int = 60

    def ops_smtp(self) -> dict:
        """The ops SMTP server: each unset `ops_smtp_*` is the main `smtp_*` value."""
        return {"host": self.ops_smtp_host or self.smtp_host,
                "port": self.ops_smtp_port or self.smtp_port,
                "user": self.ops_smtp_user if self.ops_smtp_user is not None else self.smtp_user,
                "password": self.ops_smtp_password if self.ops_smtp_password is not None else self.smtp_password,
                "tls": self.ops_smtp_tls or self.smtp_tls}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
