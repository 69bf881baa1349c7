"""``savbot``: the project's command line.

    savbot orders import FILE.csv    import the shop's order export
    savbot orders seed --count N     add demo orders (never overwrites existing ones)
    savbot orders sample             print demo order numbers + e-mails to try (read-only)
    savbot orders count              how many orders the database holds
    savbot privacy erase --email X   delete a customer's conversations (RGPD)
    savbot privacy purge --older-than 90d   delete conversations past retention
    savbot handoffs list|show ID|reply ID TEXT|close ID|retry   human handoffs
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from actions.config import load_settings
from actions.order_repository import OrderRepository
from savbot.importer import CsvFormatError, parse_csv
from savbot.privacy import Deletion, erase_email, parse_duration, purge_older_than
from savbot.seed import demo_orders, demo_pairs_in_database


def _repository() -> OrderRepository:
    repository = OrderRepository.from_settings(load_settings())
    repository.create_schema()
    return repository


@click.group()
def main() -> None:
    """sav-bot command line (order database: DATABASE_URL, default var/orders.db)."""


@main.group()
def orders() -> None:
    """Manage the order database."""


@orders.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_orders(csv_file: Path) -> None:
    """Import (or update, by order number) the orders of the shop's CSV export."""
    try:
        parsed = parse_csv(csv_file)
        result = _repository().upsert(tqdm(parsed.rows, desc="import", unit="order",
                                           disable=None))
    except CsvFormatError as exc:
        raise click.ClickException(f"{csv_file}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"order database error: {exc}") from exc
    for error in parsed.errors:
        click.echo(f"{csv_file}:{error.line}: skipped: {error.reason}", err=True)
    click.echo(
        f"{result.created} created, {result.updated} updated, {len(parsed.errors)} rejected"
    )
    if parsed.errors:
        sys.exit(1)


@orders.command("seed")
@click.option("--count", default=200, show_default=True, type=click.IntRange(1, 10_000_000),
              help="How many demo orders.")
@click.option("--seed", "random_seed", default=42, show_default=True, help="Random seed.")
@click.option("--replace", is_flag=True,
              help="Overwrite orders already stored with the same numbers (by default they "
                   "are left untouched: they may be real orders).")
def seed_orders(count: int, random_seed: int, replace: bool) -> None:
    """Add realistic, deterministic demo orders (numbers from 104500 on).

    An order number already in the database is skipped unless --replace is given, so demo
    data never overwrites a real order.
    """
    repository = _repository()
    rows = tqdm(demo_orders(count, seed=random_seed), total=count, desc="seed", unit="order",
                disable=None)
    try:
        result = repository.upsert(rows, batch_size=20_000, replace=replace)
        pairs = demo_pairs_in_database(repository, seed=random_seed, scan=min(count, 200))
    except SQLAlchemyError as exc:
        raise click.ClickException(f"order database error: {exc}") from exc
    click.echo(f"{result.created} created, {result.updated} updated, {result.skipped} skipped")
    _echo_pairs(pairs)
    if result.skipped:
        click.echo(f"{result.skipped} order number(s) were already in the database and were "
                   "left untouched (--replace overwrites them).", err=True)


def _echo_pairs(pairs: list[tuple[str, str, str]]) -> None:
    if not pairs:
        click.echo("No demo order in the database: run `savbot orders seed` to add some. "
                   "(Demo orders made by an older version of the seed have other e-mails: "
                   "`savbot orders seed --replace` remakes them.)")
        return
    click.echo("Try these orders in the chat (order number + e-mail):")
    for number, email, status in pairs:
        click.echo(f"  {number}  {email:<40} {status}")


@orders.command("sample")
@click.option("--count", default=6, show_default=True, type=click.IntRange(1, 100),
              help="How many pairs.")
@click.option("--seed", "random_seed", default=42, show_default=True,
              help="Random seed the demo orders were made with.")
def sample_orders(count: int, random_seed: int) -> None:
    """Print demo orders stored in the database (number + e-mail) to try in the chat.

    Read-only; only demo orders (``savbot orders seed``) are shown, never imported ones.
    """
    try:
        repository = OrderRepository.from_settings(load_settings())  # creates nothing
        pairs = demo_pairs_in_database(repository, limit=count, seed=random_seed)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"order database error: {exc}") from exc
    _echo_pairs(pairs)


@main.group()
def privacy() -> None:
    """RGPD: erase a customer's data, purge old conversations (TRACKER_STORE_URL)."""


def _report(deletion: Deletion, what: str, email: str | None = None) -> None:
    for conversation in deletion.conversations:
        click.echo(f"  deleted conversation {conversation}")
    click.echo(f"{len(deletion.conversations)} conversation(s), {deletion.events} event(s) "
               f"deleted ({what})")
    # Human handoff records hold the same conversations (and the customer's e-mail).
    from actions.handoff_repository import HandoffRepository

    try:
        handoffs = HandoffRepository.from_settings(load_settings()).delete(
            deletion.conversations, email=email)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"handoff records not deleted: {exc}") from exc
    if handoffs:
        click.echo(f"{handoffs} handoff record(s) deleted")


@privacy.command("erase")
@click.option("--email", required=True, help="The customer's e-mail address.")
def privacy_erase(email: str) -> None:
    """Delete every conversation that mentions EMAIL."""
    try:
        deletion = erase_email(load_settings().tracker_store_url, email)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--email") from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"conversation store error: {exc}") from exc
    _report(deletion, f"e-mail {email.strip().lower()}", email=email.strip().lower())


@privacy.command("purge")
@click.option("--older-than", "older_than", required=True, metavar="AGE",
              help="Retention period: 90d, 12h, 4w.")
def privacy_purge(older_than: str) -> None:
    """Delete conversations whose last message is older than AGE."""
    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    try:
        deletion = purge_older_than(load_settings().tracker_store_url, age)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"conversation store error: {exc}") from exc
    _report(deletion, f"inactive for more than {older_than}")


@orders.command("count")
def count_orders() -> None:
    """Print how many orders the database holds."""
    click.echo(_repository().count())


@main.group()
def handoffs() -> None:
    """Human handoffs: conversations handed to the support team (DATABASE_URL)."""


def _handoffs() -> tuple:
    from actions.handoff_repository import HandoffRepository

    settings = load_settings()
    try:
        return settings, HandoffRepository.from_settings(settings)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database error: {exc}") from exc


@handoffs.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also the closed handoffs.")
def handoffs_list(show_all: bool) -> None:
    """The open and assigned handoffs, newest first."""
    from actions.models import HandoffStatus

    _, repository = _handoffs()
    statuses = None if show_all else [HandoffStatus.OPEN, HandoffStatus.ASSIGNED]
    found = repository.list(statuses)
    for handoff in found:
        click.echo(f"{handoff.id:>5}  {handoff.status.value:<8}  "
                   f"{handoff.created_at:%Y-%m-%d %H:%M}  {handoff.channel or '?':<9} "
                   f"{handoff.summary}")
    click.echo(f"{len(found)} handoff(s)")


@handoffs.command("show")
@click.argument("handoff_id", type=int)
def handoffs_show(handoff_id: int) -> None:
    """Details and transcript (refreshed from the conversation store) of HANDOFF_ID."""
    from actions.handoff_repository import HandoffNotFound
    from savbot.handoffs import format_handoff, refreshed

    settings, repository = _handoffs()
    try:
        handoff = refreshed(repository, settings, repository.get(handoff_id))
    except HandoffNotFound as exc:
        raise click.ClickException(f"no handoff {handoff_id}") from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database error: {exc}") from exc
    click.echo(format_handoff(handoff))


@handoffs.command("reply")
@click.argument("handoff_id", type=int)
@click.argument("text")
@click.option("--agent", required=True, help="Your name, as the customer and the record see it.")
def handoffs_reply(handoff_id: int, text: str, agent: str) -> None:
    """Answer the customer of HANDOFF_ID with TEXT (needs the Rasa server running)."""
    from actions.handoff_repository import HandoffNotFound
    from actions.models import HandoffStatus
    from savbot.handoffs import RasaUnavailable, send_reply

    text, agent = text.strip(), " ".join(agent.split())
    if not text or not agent:
        raise click.BadParameter("the text and --agent must not be empty")
    settings, repository = _handoffs()
    try:
        handoff = repository.get(handoff_id)
        if handoff.status == HandoffStatus.CLOSED:
            raise click.ClickException(f"handoff {handoff_id} is closed")
        channel = send_reply(settings, handoff, agent, text)
        repository.add_agent_reply(handoff_id, agent, text)
    except HandoffNotFound as exc:
        raise click.ClickException(f"no handoff {handoff_id}") from exc
    except RasaUnavailable as exc:
        raise click.ClickException(f"{exc}; the reply was not sent") from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database error: {exc}") from exc
    live = channel in ("socketio", "facebook")
    click.echo(f"reply added to conversation {handoff.conversation_id} ({channel or '?'}): "
               + ("sent to the customer's channel" if live else
                  "not deliverable live on this channel, answer by e-mail too"))


@handoffs.command("close")
@click.argument("handoff_id", type=int)
def handoffs_close(handoff_id: int) -> None:
    """Hand HANDOFF_ID's conversation back to the bot (needs the Rasa server running)."""
    from actions.handoff_repository import HandoffNotFound
    from actions.models import HandoffStatus
    from savbot.handoffs import RasaUnavailable, refreshed, resume_conversation

    settings, repository = _handoffs()
    try:
        handoff = repository.get(handoff_id)
        if handoff.status == HandoffStatus.CLOSED:
            click.echo(f"handoff {handoff_id} is already closed")
            return
        refreshed(repository, settings, handoff)
        resume_conversation(settings, handoff.conversation_id)
        repository.close(handoff_id)
    except HandoffNotFound as exc:
        raise click.ClickException(f"no handoff {handoff_id}") from exc
    except RasaUnavailable as exc:
        raise click.ClickException(f"{exc}; handoff {handoff_id} stays open") from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database error: {exc}") from exc
    click.echo(f"handoff {handoff_id} closed: conversation {handoff.conversation_id} "
               "handed back to the bot")


@handoffs.command("retry")
def handoffs_retry() -> None:
    """Post the handoffs the helpdesk webhook has not received yet (HELPDESK_WEBHOOK_URL)."""
    from actions.helpdesk import HelpdeskWebhook, deliver_pending

    settings, repository = _handoffs()
    if not settings.helpdesk_webhook_url:
        raise click.ClickException("HELPDESK_WEBHOOK_URL is not set")
    webhook = HelpdeskWebhook(settings.helpdesk_webhook_url, settings.helpdesk_timeout_s)
    try:
        delivered, failed = deliver_pending(webhook, repository, limit=1000)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database error: {exc}") from exc
    pending = len(repository.pending_webhooks(limit=100_000))
    click.echo(f"{delivered} delivered, {pending} still pending")
    if failed:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
