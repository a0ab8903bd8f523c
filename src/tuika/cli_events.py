"""``tuika events``: the outbox from the command line, to list events and drive one again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tuika.cli_settings import load_settings
from tuika.domain.cases import Role
from tuika.domain.errors import NotFound
from tuika.domain.events import Delivery, DeliveryStatus, Event, EventType
from tuika.domain.ids import EventId

if TYPE_CHECKING:
    from tuika.services.context import Actor

events_app = typer.Typer(
    help="The outbox: events, their handlers' deliveries, and driving one again.", no_args_is_help=True
)


def _ops() -> Actor:
    # Imported here, like the rest of the services: `tuika.cli` loads this module for every command.
    from tuika.services.context import Actor

    return Actor("ops", Role.ADMIN)


def _show(found: tuple[Event, list[Delivery]]) -> str:
    event, deliveries = found
    lines = [f"{event.id}  {event.type.value}  {event.subject}  {event.occurred_at.isoformat()}  by {event.actor}"]
    for d in deliveries:
        when = f" next {d.next_try_at.isoformat()}" if d.status is DeliveryStatus.PENDING and d.next_try_at else ""
        error = f" — {d.last_error}" if d.last_error else ""
        lines.append(f"    {d.handler}: {d.status.value}, {d.attempts} failed attempts{when}{error}")
    return "\n".join(lines)


@events_app.command("list")
def events_list(
    type_: Annotated[str | None, typer.Option("--type", help="e.g. case.submitted")] = None,
    subject: Annotated[str | None, typer.Option(help="a case, payout or order id")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="only events with a delivery that gave up")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List events oldest first with each handler's delivery."""
    from tuika.bootstrap import build
    from tuika.services.events import admin as events_admin

    kind = None
    if type_ is not None:
        try:
            kind = EventType(type_)
        except ValueError:
            typer.echo(f"unknown event type {type_!r}; one of: {', '.join(t.value for t in EventType)}", err=True)
            raise typer.Exit(2) from None
    system = build(load_settings(), migrate=True, queue=False)
    page = events_admin.list_events(system.ctx, _ops(), type_=kind, subject=subject, limit=limit, failed_only=failed)
    for found in page.events:
        typer.echo(_show(found))
    totals = ", ".join(f"{n} {status.value}" for status, n in page.counts.items())
    typer.echo(f"{len(page.events)} events shown; deliveries: {totals}")


@events_app.command("retry")
def events_retry(event_id: Annotated[str, typer.Argument(help="the event's id (26 characters)")]) -> None:
    """Drive an event's unfinished deliveries again now, here, and show how they went."""
    from tuika.bootstrap import build
    from tuika.services.events import admin as events_admin
    from tuika.services.events.relay import relay

    if not 1 <= len(event_id) <= 26 or not event_id.isalnum():
        typer.echo("an event id is up to 26 letters and digits", err=True)
        raise typer.Exit(2)
    wanted = EventId(event_id)
    system = build(load_settings(), migrate=True, queue=False)
    try:
        events_admin.retry(system.ctx, _ops(), wanted)
    except NotFound:
        typer.echo(f"no event {event_id}", err=True)
        raise typer.Exit(1) from None
    relay(system.ctx, [wanted])
    typer.echo(_show(events_admin.get_event(system.ctx, _ops(), wanted)))
