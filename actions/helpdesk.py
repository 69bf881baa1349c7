"""Posting handoffs to the helpdesk webhook (``HELPDESK_WEBHOOK_URL``), if one is configured.

A failed delivery never loses a handoff: the record stays ``pending`` in the database and
is posted again by the next handoff (:func:`deliver_pending`) or by
``savbot handoffs retry``.
"""

from __future__ import annotations

import logging

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy.exc import SQLAlchemyError
from urllib3.util.retry import Retry

from actions.handoff_repository import HandoffRepository, handoff_payload
from actions.models import Handoff

logger = logging.getLogger(__name__)

#: Retries of one delivery (after the first attempt), and the backoff factor in seconds
#: (waits of 0.5 s, then 1 s); 429 and 5xx answers are retried too.
RETRIES = 2
BACKOFF_S = 0.5
RETRY_STATUSES = (429, 500, 502, 503, 504)


class HelpdeskWebhook:
    """Client of the helpdesk webhook.

    Args:
        url: where handoffs are POSTed as JSON (:func:`actions.handoff_repository.handoff_payload`).
        timeout_s: connect and read timeout of one request, seconds.
        retries: retries after a failed attempt (connection errors, 429, 5xx), with
            exponential backoff (urllib3 ``Retry``).
    """

    def __init__(self, url: str, timeout_s: float = 5.0, retries: int = RETRIES) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._retry = Retry(total=retries, connect=retries, read=retries, status=retries,
                            backoff_factor=BACKOFF_S, status_forcelist=RETRY_STATUSES,
                            allowed_methods=frozenset({"POST"}), raise_on_status=False)

    def post(self, handoff: Handoff) -> str | None:
        """POST ``handoff``; returns ``None`` when the helpdesk accepted it (2xx), else the
        error (a short text). Never raises for network or HTTP errors."""
        session = requests.Session()
        session.mount("http://", HTTPAdapter(max_retries=self._retry))
        session.mount("https://", HTTPAdapter(max_retries=self._retry))
        try:
            response = session.post(self.url, json=handoff_payload(handoff),
                                    timeout=self.timeout_s)
        except requests.RequestException as exc:
            return f"{type(exc).__name__}: {exc}"[:1000]
        finally:
            session.close()
        if not response.ok:
            return f"HTTP {response.status_code}: {response.text[:200]}"
        return None


def deliver(handoff: Handoff, webhook: HelpdeskWebhook, repository: HandoffRepository) -> bool:
    """Post one handoff and record the outcome (delivered, or still pending with the error).

    Returns whether the helpdesk received it. Database errors are logged, not raised.
    """
    error = webhook.post(handoff)
    if error:
        logger.warning("helpdesk webhook: handoff %s not delivered (%s); kept pending",
                       handoff.id, error)
    try:
        repository.mark_webhook(handoff.id, delivered=error is None, error=error)
    except SQLAlchemyError:
        logger.exception("could not record the webhook delivery of handoff %s", handoff.id)
    return error is None


def deliver_pending(webhook: HelpdeskWebhook, repository: HandoffRepository,
                    limit: int = 50) -> tuple[int, int]:
    """Post every pending handoff (oldest first, at most ``limit``); stops at the first
    failure (the helpdesk is down: the others wait for the next try).

    Returns (delivered, still pending among those tried).
    """
    delivered = failed = 0
    for handoff in repository.pending_webhooks(limit):
        if deliver(handoff, webhook, repository):
            delivered += 1
        else:
            failed += 1
            break
    return delivered, failed
