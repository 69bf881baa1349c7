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
        support_timezone: IANA time zone of the support team (env ``SUPPORT_TIMEZONE``).
        support_days: working days of the support team, ``mon-fri`` or a list like
            ``mon,tue,thu`` (env ``SUPPORT_DAYS``).
        support_hours: opening hours on a working day, ``09:00-18:00`` (env
            ``SUPPORT_HOURS``; ``00:00-24:00`` for round the clock).
        support_holidays: country whose public holidays are days off (ISO code for the
            ``holidays`` package, env ``SUPPORT_HOLIDAYS``, default ``FR``; ``none``: none).
        agent_token: token of the agent inbox (env ``AGENT_TOKEN``); empty: inbox closed.
        helpdesk_webhook_url: where handoffs are posted as JSON (env
            ``HELPDESK_WEBHOOK_URL``); empty: no helpdesk.
        helpdesk_timeout_s: timeout of one webhook request, seconds (env
            ``HELPDESK_TIMEOUT_S``, default 5).
        rasa_url: base URL of the Rasa server, for ``savbot handoffs close`` (env
            ``RASA_URL``, default ``http://localhost:<RASA_PORT or 5005>``).
        rasa_auth_token: token of Rasa's HTTP API (env ``RASA_AUTH_TOKEN``).
    """

    database_url: str = DEFAULT_DATABASE_URL
    tracker_store_url: str = DEFAULT_TRACKER_STORE_URL
    database_timeout_s: float = 3.0
    support_email: str = "support@example.com"
    support_timezone: str = "Europe/Paris"
    support_days: str = "mon-fri"
    support_hours: str = "09:00-18:00"
    support_holidays: str = "FR"
    agent_token: str = ""
    helpdesk_webhook_url: str = ""
    helpdesk_timeout_s: float = 5.0
    rasa_url: str = "http://localhost:5005"
    rasa_auth_token: str = ""


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (default: ``os.environ``).

    Empty variables count as unset. Raises ``ValueError`` if ``DATABASE_TIMEOUT_S`` or
    ``HELPDESK_TIMEOUT_S`` is not a positive number.
    """
    env = os.environ if environ is None else environ
    timeout = float(env.get("DATABASE_TIMEOUT_S") or Settings.database_timeout_s)
    if timeout <= 0:
        raise ValueError(f"DATABASE_TIMEOUT_S must be positive, got {timeout}")
    helpdesk_timeout = float(env.get("HELPDESK_TIMEOUT_S") or Settings.helpdesk_timeout_s)
    if helpdesk_timeout <= 0:
        raise ValueError(f"HELPDESK_TIMEOUT_S must be positive, got {helpdesk_timeout}")
    rasa_port = env.get("RASA_PORT") or "5005"
    return Settings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        database_timeout_s=timeout,
        support_email=env.get("SUPPORT_EMAIL") or Settings.support_email,
        tracker_store_url=env.get("TRACKER_STORE_URL") or DEFAULT_TRACKER_STORE_URL,
        support_timezone=env.get("SUPPORT_TIMEZONE") or Settings.support_timezone,
        support_days=env.get("SUPPORT_DAYS") or Settings.support_days,
        support_hours=env.get("SUPPORT_HOURS") or Settings.support_hours,
        support_holidays=env.get("SUPPORT_HOLIDAYS") or Settings.support_holidays,
        agent_token=env.get("AGENT_TOKEN") or "",
        helpdesk_webhook_url=env.get("HELPDESK_WEBHOOK_URL") or "",
        helpdesk_timeout_s=helpdesk_timeout,
        rasa_url=(env.get("RASA_URL") or f"http://localhost:{rasa_port}").rstrip("/"),
        rasa_auth_token=env.get("RASA_AUTH_TOKEN") or "",
    )
