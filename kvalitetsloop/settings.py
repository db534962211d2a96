"""The one settings object: environment variables with the prefix KVALITETSLOOP_ (SPEC 5)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# What each kind of setting accepts; the description is the end of the sentence a mistake gets.
def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError("not an email address")
    return value


def _web_address(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s]+", value):
        raise ValueError("not an http(s) address")
    return value


def _existing_file(value: Path | None) -> Path | None:
    if value is not None and not Path(value).is_file():
        raise ValueError("not a file that exists")
    return value


Port = Annotated[int, Field(ge=1, le=65535, description="a port number from 1 to 65535")]
Seconds = Annotated[float, Field(gt=0, description="a number of seconds greater than 0")]
AtLeastOne = Annotated[int, Field(ge=1, description="a whole number of at least 1")]
NotNegative = Annotated[int, Field(ge=0, description="a whole number of 0 or more")]
Email = Annotated[str, AfterValidator(_email), Field(description="an email address like name@example.dk")]
WebAddress = Annotated[str, AfterValidator(_web_address),
                       Field(description="an http:// or https:// address without spaces")]
Domain = Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+$", description="a domain name like kvalitetsloop.example.dk")]
Secret = Annotated[str, Field(min_length=1, description="a secret that is not empty")]
Switch = Annotated[bool, Field(description="true or false")]
Folder = Annotated[str, Field(pattern=r'^[^\r\n"\\*%]+$',
                              description="a folder name without line breaks, quotes, backslashes, * or %")]
CaFile = Annotated[Path | None, AfterValidator(_existing_file),
                   Field(description="the path of a PEM file with the CA certificate(s) that exists")]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KVALITETSLOOP_", extra="ignore")

    database_url: str = "sqlite:///var/kvalitetsloop.sqlite"
    frameworks_dir: Path = PROJECT_ROOT / "frameworks"

    smtp_host: str = "127.0.0.1"
    smtp_port: Port = 8025
    smtp_user: str = "kvalitetsloop"
    smtp_password: str = ""
    # none: plain SMTP (a local sink); starttls; ssl (implicit TLS, port 465)
    smtp_tls: Annotated[Literal["none", "starttls", "ssl"], Field(description="one of none, starttls or ssl")] = "none"
    sender: Email = "kvalitetsloop@aarhus.example.dk"
    organiser: Email = "kvalitet@aarhus.example.dk"
    organiser_name: str = "Børn og Unge, Aarhus Kommune"
    data_team: Email = "data@aarhus.example.dk"
    base_url: WebAddress = "http://127.0.0.1:8000"
    message_id_domain: Domain = "kvalitetsloop.aarhus.example.dk"

    # Email part (notifications/): SMTP timeout, the outbox's retries and the sender's lease.
    smtp_timeout: Seconds = 30.0
    outbox_max_attempts: AtLeastOne = 8
    outbox_backoff_seconds: AtLeastOne = 60  # first retry after this; doubles each time
    outbox_backoff_max_seconds: AtLeastOne = 6 * 3600
    # How long (wall clock) a sender holds a claimed row before another sender may take it over.
    outbox_lease_seconds: NotNegative = 300
    outbox_batch: AtLeastOne = 200
    # The dispatch flow: how often Prefect retries a group's sending task that left emails
    # waiting, and after how long (the outbox's first backoff; the retry sends what has come due).
    flow_send_retries: NotNegative = 2
    flow_send_retry_delay_seconds: NotNegative = 60
    # Secret of the personal calendar-feed links (notifications.links.personal_token); the form
    # links are random and need none. Set it in production; the default is for demos only.
    link_secret: Secret = "kvalitetsloop-development-secret"
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

    # Calendar replies (replies fetch, flows/replies.py): the organiser's mailbox over IMAP with
    # TLS, where Outlook, Gmail and Apple Calendar send the attendees' accept/decline answers.
    # Read messages are moved to the three folders (made if missing): replies recorded, replies
    # kept aside for a person (unknown meeting, not an attendee), and rejected ones (unreadable).
    imap_host: str = ""
    imap_port: Port = 993
    imap_user: str = ""
    imap_password: str = ""
    # ssl: implicit TLS (port 993); starttls: plain connection upgraded to TLS (port 143).
    imap_tls: Annotated[Literal["ssl", "starttls"], Field(description="one of ssl or starttls")] = "ssl"
    # CA certificates to trust for the IMAP server (default: the system's).
    imap_ca_file: CaFile = None
    imap_timeout: Seconds = 30.0
    imap_folder: Folder = "INBOX"
    imap_done_folder: Folder = "Kvalitetsloop/Behandlet"
    imap_aside_folder: Folder = "Kvalitetsloop/Til gennemsyn"
    imap_rejected_folder: Folder = "Kvalitetsloop/Afvist"

    def ops_smtp(self) -> dict:
        """The ops SMTP server: each unset `ops_smtp_*` is the main `smtp_*` value."""
        return {"host": self.ops_smtp_host or self.smtp_host,
                "port": self.ops_smtp_port or self.smtp_port,
                "user": self.ops_smtp_user if self.ops_smtp_user is not None else self.smtp_user,
                "password": self.ops_smtp_password if self.ops_smtp_password is not None else self.smtp_password,
                "tls": self.ops_smtp_tls or self.smtp_tls}


class SettingsError(ValueError):
    """A KVALITETSLOOP_ variable holds a value the program cannot use; its text is one sentence."""


# Values that are not repeated in an error message.
_SECRETS = {"smtp_password", "link_secret", "imap_password", "ops_smtp_password"}


def _accepts(field: str, error: dict) -> str:
    info = Settings.model_fields.get(field)
    if info is not None and info.description:
        return info.description
    kind = error.get("type", "")
    if kind.startswith("int_"):
        return "a whole number"
    if kind.startswith("float_"):
        return "a number"
    if kind.startswith("bool_"):
        return "true or false"
    return error.get("msg", "").removeprefix("Value error, ").removeprefix("Input should be ")


def settings_sentence(exc: ValidationError) -> str:
    """One sentence for the settings' validation errors: the variable, its value, what it accepts."""
    parts = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error.get("loc") else ""
        name = f"KVALITETSLOOP_{field.upper()}"
        value = error.get("input")
        shown = "" if field in _SECRETS or not isinstance(value, str) else f" is '{value}' but"
        parts.append(f"{name}{shown} must be {_accepts(field, error)}")
    return "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment; a bad value raises SettingsError with one sentence."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(settings_sentence(exc)) from None
