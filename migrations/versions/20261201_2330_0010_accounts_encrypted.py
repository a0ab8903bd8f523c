"""order items: the account topped up is kept encrypted (account_enc); reads mask mobile numbers

Accounts were kept in clear in order_items.account. This adds account_enc; the encryption
itself needs the card cipher, which a migration does not have, so it asks tuika's migrate for
the "encrypt_accounts" follow-up, run right after with the configured keys: it encrypts each
clear account into account_enc and empties account. `tuika encrypt-accounts` does the same on
demand (after an `alembic upgrade` outside tuika, say). The clear column stays, empty, until a
later migration drops it.

Screenshot reads kept before now may show a mobile number in full in their lines; they are
masked here, as new reads are (138****8000). That needs no key, and is never undone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from tuika.adapters.db.migrate import AFTER
from tuika.review.accountmask import masked_accounts

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_PAGE = 500
_reads = sa.table("evidence_reads", sa.column("id", sa.Integer()), sa.column("lines", sa.JSON()))
_items = sa.table("order_items", sa.column("account_enc", sa.Text()))


def upgrade() -> None:
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_enc", sa.Text(), nullable=True))
    _mask_mobiles_in_reads()
    context.config.attributes.setdefault(AFTER, set()).add("encrypt_accounts")


def downgrade() -> None:
    # Without the cipher the accounts cannot go back into the clear column: refuse rather than lose them.
    query = sa.select(sa.func.count()).select_from(_items).where(_items.c.account_enc.is_not(None))
    sealed = op.get_bind().execute(query).scalar()
    if sealed:
        raise RuntimeError(f"{sealed} order items hold an encrypted account; downgrading past 0010 would lose them")
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_column("account_enc")


def _mask_mobiles_in_reads() -> None:
    bind = op.get_bind()
    last = 0
    while True:
        query = sa.select(_reads.c.id, _reads.c.lines).where(_reads.c.id > last).order_by(_reads.c.id).limit(_PAGE)
        rows = bind.execute(query).all()
        for row in rows:
            lines = [[masked_accounts(str(text), []), box, confidence] for text, box, confidence in row.lines]
            if lines != [list(line) for line in row.lines]:
                bind.execute(sa.update(_reads).where(_reads.c.id == row.id).values(lines=lines))
        if len(rows) < _PAGE:
            return
        last = rows[-1].id
