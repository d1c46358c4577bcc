"""published versions of the agenda

Revision ID: a4c0e1d00008
Revises: a4c0e1d00007
Create Date: 2026-12-01 21:45:00

Every meeting whose agenda was published before this revision gets its version 1, made from its
sessions as they stand, so that nothing leaves its public pages on upgrade. The snapshot's form
is agenda/versions.py's, written out here: a migration does not import the application.
"""
from datetime import UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c0e1d00008'
down_revision = 'a4c0e1d00007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'agenda_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.Column('published_by', sa.String(length=254), nullable=True),
        sa.Column('sessions', sa.JSON(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ['meeting_id'],
            ['meetings.id'],
            name=op.f('fk_agenda_versions_meeting_id_meetings'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_versions')),
        sa.UniqueConstraint('meeting_id', 'number', name=op.f('uq_agenda_versions_meeting_id_number')),
    )
    _publish_existing_agendas()


def downgrade():
    op.drop_table('agenda_versions')


_meetings = sa.table(
    'meetings', sa.column('id', sa.Integer), sa.column('agenda_published_at', sa.DateTime)
)
_sessions = sa.table(
    'sessions',
    *(sa.column(name, sa.Integer) for name in ('id', 'meeting_id', 'room_id', 'rapporteur_id')),
    *(sa.column(name, sa.String) for name in ('ref', 'number', 'title', 'kind', 'description')),
    *(sa.column(name, sa.DateTime) for name in ('start_local', 'end_local', 'start_utc', 'end_utc', 'cancelled_at')),
    sa.column('public', sa.Boolean),
)
_rooms = sa.table('rooms', sa.column('id', sa.Integer), sa.column('ref', sa.String))
_participants = sa.table('participants', sa.column('id', sa.Integer), sa.column('ref', sa.String))
_people = sa.table(
    'session_people',
    sa.column('session_id', sa.Integer),
    sa.column('participant_id', sa.Integer),
    sa.column('role', sa.String),
    sa.column('position', sa.Integer),
)
_versions = sa.table(
    'agenda_versions',
    sa.column('meeting_id', sa.Integer),
    sa.column('number', sa.Integer),
    sa.column('published_at', sa.DateTime),
    sa.column('published_by', sa.String),
    sa.column('sessions', sa.JSON),
    sa.column('changes', sa.JSON),
)


def _utc(value):
    # Instants are stored as naive UTC (models/types.py UTCDateTime).
    return value.replace(tzinfo=UTC).isoformat()


def _publish_existing_agendas():
    conn = op.get_bind()
    rooms = dict(conn.execute(sa.select(_rooms.c.id, _rooms.c.ref)).all())
    refs = dict(conn.execute(sa.select(_participants.c.id, _participants.c.ref)).all())
    people = {}
    for row in conn.execute(
        sa.select(_people).order_by(_people.c.session_id, _people.c.role, _people.c.position)
    ):
        roles = people.setdefault(row.session_id, {'chair': [], 'speaker': []})
        roles[row.role].append(refs[row.participant_id])
    published = conn.execute(
        sa.select(_meetings.c.id, _meetings.c.agenda_published_at).where(
            _meetings.c.agenda_published_at.is_not(None)
        )
    ).all()
    for meeting_id, published_at in published:
        rows = conn.execute(
            sa.select(_sessions)
            .where(_sessions.c.meeting_id == meeting_id)
            .order_by(_sessions.c.start_local, _sessions.c.end_local, _sessions.c.id)
        ).all()
        snapshot = [
            {
                'ref': s.ref,
                'number': s.number,
                'title': s.title,
                'kind': s.kind,
                'description': s.description,
                'start_local': s.start_local.isoformat(),
                'end_local': s.end_local.isoformat(),
                'start_utc': _utc(s.start_utc),
                'end_utc': _utc(s.end_utc),
                'room': rooms.get(s.room_id),
                'public': s.public is not False and s.kind != 'closed',
                'chairs': people.get(s.id, {}).get('chair', []),
                'speakers': people.get(s.id, {}).get('speaker', []),
                'rapporteur': refs.get(s.rapporteur_id),
                'cancelled': s.cancelled_at is not None,
                'sequence': 0,
                'modified': _utc(published_at),
            }
            for s in rows
        ]
        conn.execute(
            sa.insert(_versions).values(
                meeting_id=meeting_id,
                number=1,
                published_at=published_at,
                published_by=None,
                sessions=snapshot,
                changes=[{'ref': s['ref'], 'title': s['title'], 'change': 'added'} for s in snapshot],
            )
        )
