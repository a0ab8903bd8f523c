"""Encrypt the accounts kept in clear before migration 0010, with the card cipher.

A migration has no cipher, so 0010 only adds ``account_enc`` and asks for this step;
``tuika migrate`` (and every start that migrates) runs it right after, once, and ``tuika
encrypt-accounts`` runs it on demand. Each account is encrypted for its own item and the clear
column emptied in the same statement. Running it again finds nothing left and changes nothing.
"""

from __future__ import annotations

from tuika.services.context import Context
from tuika.services.orders.keys import seal_account

# Items per transaction: a crash loses at most one page's work, which the next run redoes.
PAGE = 500


def encrypt_accounts(ctx: Context, *, page: int = PAGE) -> int:
    """Encrypt every account still kept in clear and empty its clear column; return how many."""
    done = 0
    while True:
        with ctx.uow() as uow:
            clear = uow.orders.clear_accounts(page)
            for order_id, item_id, account in clear:
                uow.orders.seal_account(order_id, item_id, seal_account(ctx, order_id, item_id, account))
            uow.commit()
        done += len(clear)
        if len(clear) < page:
            return done
