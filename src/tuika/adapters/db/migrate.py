"""Run Alembic migrations programmatically; tests build their databases the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[4]


def alembic_config() -> Config:
    """Return the Alembic configuration of this source tree."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


# Where a migration asks for work it cannot do itself (it has no cipher): a set of names.
AFTER: Final = "tuika.after_upgrade"


def upgrade(engine: Engine, revision: str = "head") -> frozenset[str]:
    """Bring the database behind ``engine`` up to ``revision``; return the follow-ups the migrations run ask for.

    ``"remask_reads"``: stored reads are to be masked again with their orders' card keys
    (``tuika.services.review.remask``), which a migration cannot open.
    ``"encrypt_accounts"``: accounts kept in clear are to be encrypted with the card cipher
    (``tuika.services.orders.encrypt_accounts``), which a migration does not have.
    """
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return frozenset(config.attributes.get(AFTER, ()))
