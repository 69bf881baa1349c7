"""Configuration read from the environment.

This is the only module of the project that reads ``os.environ``: everything else
receives a :class:`Settings` object (or calls :func:`load_settings`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Project root (the folder holding ``domain.yml``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Default order database: a SQLite file under the git-ignored ``var/`` folder.
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'orders.db'}"
#: Default conversation store (Rasa's SQL tracker store), beside it.
DEFAULT_TRACKER_STORE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'conversations.db'}"


@dataclass(frozen=True)
class Settings:
    """Runtime settings of the actions and the CLI.

    Attributes:
        database_url: SQLAlchemy URL of the order database (env ``DATABASE_URL``).
        database_timeout_s: connect and statement timeout in seconds for order lookups
            (env ``DATABASE_TIMEOUT_S``, default 3).
        support_email: address customers write to when they want a person
            (env ``SUPPORT_EMAIL``).
        tracker_store_url: SQLAlchemy URL of Rasa's conversation store
            (env ``TRACKER_STORE_URL``, as in endpoints.yml).
    """

    database_url: str = DEFAULT_DATABASE_URL
    tracker_store_url: str = DEFAULT_TRACKER_STORE_URL
    database_timeout_s: float = 3.0
    support_email: str = "support@example.com"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (default: ``os.environ``).

    Empty variables count as unset. Raises ``ValueError`` if ``DATABASE_TIMEOUT_S``
    is not a positive number.
    """
    env = os.environ if environ is None else environ
    timeout = float(env.get("DATABASE_TIMEOUT_S") or Settings.database_timeout_s)
    if timeout <= 0:
        raise ValueError(f"DATABASE_TIMEOUT_S must be positive, got {timeout}")
    return Settings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        database_timeout_s=timeout,
        support_email=env.get("SUPPORT_EMAIL") or Settings.support_email,
        tracker_store_url=env.get("TRACKER_STORE_URL") or DEFAULT_TRACKER_STORE_URL,
    )
