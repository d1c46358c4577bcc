"""distinct mailboxes are distinct people (IDNA domain keys)

Revision ID: a4c0e1d00004
Revises: 22fe98eb5955
Create Date: 2026-12-01 20:30:00

The stored `email_key` of accounts and participants was the case-folded address, which made
`victim@strasse.example.org` and `victim@straße.example.org` (another domain) one person.
This recomputes every key as the mailbox rule of the time of this revision gives it; the rule is
copied here, not imported, so that the migration means the same whatever the code becomes.

Rows whose new keys coincide name one mailbox (an A-label and its U-label, say). The first row
(lowest id) keeps the key; a later one is kept with all its data, under a key that no address
has ("duplicate of participant 4 (#5)"), so that it matches no account. A duplicate account is
also deactivated: the mailbox's owner keeps the first account and can reset its password.
Each such row is named in the migration's log for an administrator to look at.
"""
import logging
import unicodedata
from collections.abc import Callable

import idna
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a4c0e1d00004'
down_revision = '22fe98eb5955'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')
KEY_LENGTH = 254

users = sa.table(
    'users',
    sa.column('id', sa.Integer),
    sa.column('email', sa.String),
    sa.column('email_key', sa.String),
    sa.column('active', sa.Boolean),
)
participants = sa.table(
    'participants',
    sa.column('id', sa.Integer),
    sa.column('meeting_id', sa.Integer),
    sa.column('email', sa.String),
    sa.column('email_key', sa.String),
)


def _local_key(local: str) -> str:
    return local.lower() if local.isascii() else unicodedata.normalize('NFC', local)


def mailbox_key(address: str) -> str:
    """The mailbox rule of this revision: IDNA domain (A-label), local part exact but ASCII lower-cased."""
    local, at, domain = address.strip().rpartition('@')
    if not at:
        return _local_key(domain)
    try:
        domain_key = idna.encode(domain, uts46=True, transitional=False).decode('ascii')
    except UnicodeError:
        domain_key = _local_key(domain)
    return f'{_local_key(local)}@{domain_key}'


def casefold_key(address: str) -> str:
    """The rule before this revision, for downgrade."""
    return address.strip().casefold()


def _rekey(table: sa.TableClause, key: Callable[[str], str], noun: str, scoped: bool) -> None:
    """Give every row of the table the key the rule says; keep apart rows that now coincide."""
    conn = op.get_bind()
    scope = table.c.meeting_id if scoped else sa.literal(0)
    rows = conn.execute(
        sa.select(table.c.id, scope, table.c.email, table.c.email_key).order_by(table.c.id)
    ).all()
    first: dict[tuple[int, str], int] = {}
    wanted: dict[int, str] = {}
    duplicates: list[int] = []
    for row_id, scope_id, email, stored in rows:
        new = key(email)[:KEY_LENGTH]
        if (scope_id, new) in first:
            # Same mailbox as an earlier row: kept, but under a key no address can have.
            log.warning(
                'the %s %s (%s) is the same mailbox as %s %s: it matches no account now',
                noun, row_id, email, noun, first[scope_id, new],
            )
            new = f'duplicate of {noun} {first[scope_id, new]} (#{row_id})'
            duplicates.append(row_id)
        else:
            first[scope_id, new] = row_id
        if new != stored:
            wanted[row_id] = new
    # Through a placeholder unique to the row, so that no update meets a key not yet moved.
    update = sa.update(table).where(table.c.id == sa.bindparam('row_id'))
    if wanted:
        conn.execute(
            update.values(email_key=sa.bindparam('key')),
            [{'row_id': i, 'key': f'#rekeying {i}'} for i in wanted],
        )
        conn.execute(
            update.values(email_key=sa.bindparam('key')),
            [{'row_id': i, 'key': k} for i, k in wanted.items()],
        )
    if duplicates and table is users:
        conn.execute(update.values(active=False), [{'row_id': i} for i in duplicates])


def upgrade():
    _rekey(users, mailbox_key, 'account', scoped=False)
    _rekey(participants, mailbox_key, 'participant', scoped=True)


def downgrade():
    # The old rule merges mailboxes again; what collides under it is kept apart the same way.
    _rekey(users, casefold_key, 'account', scoped=False)
    _rekey(participants, casefold_key, 'participant', scoped=True)
