"""How people want to be reached, and the buyers' devices for push."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tuika.adapters.db.tables import DeviceRow, PreferencesRow
from tuika.domain.notifications import Recipient
from tuika.domain.preferences import Device, Preferences, QuietHours
from tuika.domain.sending import SendChannel


class SqlPreferencesRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, recipient: Recipient, recipient_id: str) -> Preferences | None:
        row = self.s.get(PreferencesRow, (recipient.value, recipient_id))
        return None if row is None else _preferences(row)

    def many(self, recipient: Recipient, recipient_ids: Sequence[str]) -> dict[str, Preferences]:
        """Return the preferences of several people at once (a writer telling many)."""
        if not recipient_ids:
            return {}
        rows = self.s.scalars(
            select(PreferencesRow).where(
                PreferencesRow.recipient == recipient.value, PreferencesRow.recipient_id.in_(list(recipient_ids))
            )
        )
        return {r.recipient_id: _preferences(r) for r in rows}

    def save(self, p: Preferences, at: datetime) -> None:
        row = self.s.get(PreferencesRow, (p.recipient.value, p.recipient_id))
        if row is None:
            row = PreferencesRow(recipient=p.recipient.value, recipient_id=p.recipient_id)
            self.s.add(row)
        row.language = p.language
        row.off = sorted(c.value for c in p.off)
        row.quiet_start = None if p.quiet is None else f"{p.quiet.start:%H:%M}"
        row.quiet_end = None if p.quiet is None else f"{p.quiet.end:%H:%M}"
        row.phone_sealed = p.phone_sealed
        row.phone_hint = p.phone_hint
        row.email_sealed = p.email_sealed
        row.email_hint = p.email_hint
        row.seen_up_to = p.seen_up_to
        row.updated_at = at
        self.s.flush()

    # --- devices ---

    def devices(self, buyer_id: str) -> list[Device]:
        """Return a buyer's devices, the most recently seen first."""
        rows = self.s.scalars(
            select(DeviceRow).where(DeviceRow.buyer_id == buyer_id).order_by(DeviceRow.last_seen_at.desc())
        )
        return [_device(r) for r in rows]

    def devices_of(self, buyer_ids: Sequence[str]) -> dict[str, list[Device]]:
        """Return several buyers' devices at once (a pass pushing to many), each the most recent first."""
        if not buyer_ids:
            return {}
        rows = self.s.scalars(
            select(DeviceRow)
            .where(DeviceRow.buyer_id.in_(list(buyer_ids)))
            .order_by(DeviceRow.buyer_id, DeviceRow.last_seen_at.desc())
        )
        found: dict[str, list[Device]] = {}
        for row in rows:
            found.setdefault(row.buyer_id, []).append(_device(row))
        return found

    def device_of_token(self, token: str) -> Device | None:
        row = self.s.scalar(select(DeviceRow).where(DeviceRow.token == token))
        return None if row is None else _device(row)

    def save_device(self, d: Device) -> None:
        row = self.s.get(DeviceRow, d.id)
        if row is None:
            self.s.add(
                DeviceRow(
                    id=d.id,
                    buyer_id=d.buyer_id,
                    platform=d.platform,
                    token=d.token,
                    created_at=d.created_at,
                    last_seen_at=d.last_seen_at,
                )
            )
        else:
            row.buyer_id, row.platform, row.last_seen_at = d.buyer_id, d.platform, d.last_seen_at
        self.s.flush()

    def remove_devices(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        result = self.s.execute(delete(DeviceRow).where(DeviceRow.id.in_(list(ids))))
        return int(getattr(result, "rowcount", 0) or 0)

    def remove_tokens(self, tokens: Sequence[str]) -> int:
        """Forget these registration ids: the provider says they are gone."""
        if not tokens:
            return 0
        result = self.s.execute(delete(DeviceRow).where(DeviceRow.token.in_(list(tokens))))
        return int(getattr(result, "rowcount", 0) or 0)

    def buyers_with_devices(self, buyer_ids: Sequence[str]) -> set[str]:
        """Return which of these buyers have a device to push to."""
        if not buyer_ids:
            return set()
        return set(self.s.scalars(select(DeviceRow.buyer_id).where(DeviceRow.buyer_id.in_(list(buyer_ids)))))


def _preferences(r: PreferencesRow) -> Preferences:
    quiet = None
    if r.quiet_start is not None and r.quiet_end is not None:
        quiet = QuietHours.parse(r.quiet_start, r.quiet_end)
    return Preferences(
        recipient=Recipient(r.recipient),
        recipient_id=r.recipient_id,
        language=r.language,
        off=frozenset(SendChannel(c) for c in r.off),
        quiet=quiet,
        phone_sealed=r.phone_sealed,
        phone_hint=r.phone_hint,
        email_sealed=r.email_sealed,
        email_hint=r.email_hint,
        updated_at=r.updated_at,
        seen_up_to=r.seen_up_to,
    )


def _device(r: DeviceRow) -> Device:
    return Device(r.id, r.buyer_id, r.platform, r.token, r.created_at, r.last_seen_at)
