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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
