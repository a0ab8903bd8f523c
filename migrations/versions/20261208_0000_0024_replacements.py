"""replacements: a new key offered for a claim's dead one, the buyer's answer, the old key's void

A merchant may offer a replacement key instead of a refund (补发). ``replacements`` keeps each
offer (who made it, by when the buyer is to answer, the answer); ``replacement_keys`` the new
keys, sealed for the offer until accepted (and masked, for pages), and the old keys they replaced, kept to void them
with the supplier.

The holds account of a merchant is named as the API names it, ``merchant:<id>:holds``; postings
made under the first name, ``merchant:<id>:held``, are renamed.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replacements",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("merchant_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_replacements_open", "replacements", ["answered_at", "answer_by"], unique=False)
    op.create_table(
        "replacement_keys",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("masked", sa.String(length=64), nullable=False),
        sa.Column("old_secret", sa.Text(), nullable=True),
        sa.Column("void_state", sa.String(length=16), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["replacements.case_id"]),
        sa.PrimaryKeyConstraint("case_id", "item_id"),
    )
    _rename(":held", ":holds")


def downgrade() -> None:
    _rename(":holds", ":held")
    op.drop_table("replacement_keys")
    op.drop_index("ix_replacements_open", table_name="replacements")
    op.drop_table("replacements")


def _rename(old: str, new: str) -> None:
    # Bound, not spelled in the SQL: a colon there would read as a parameter.
    rename = sa.text(
        "UPDATE ledger_entries SET account = substr(account, 1, length(account) - :cut) || :new "
        "WHERE account LIKE :pattern"
    )
    op.execute(rename.bindparams(cut=len(old), new=new, pattern=f"merchant:%{old}"))
