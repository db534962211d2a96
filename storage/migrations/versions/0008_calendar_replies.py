"""calendar replies: calendar_reply, reply_message

Revision ID: 0008
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models  # noqa: F401  (column types)

revision = '0008'
down_revision = '0003'
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, storage.models.UTCDateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int | None = None, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'calendar_reply',
        sa.Column('id', sa.Integer(), nullable=False),
        _str('event_uid', 128),
        _str('loop_id', 64),
        _str('attendee', 254),
        _str('partstat', 16),
        sa.Column('sequence', sa.Integer(), nullable=False),
        _utc('replied_at'),
        _utc('received_at'),
        _str('comment'),
        _str('message_key', 300),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_uid', 'attendee'),
    )
    with op.batch_alter_table('calendar_reply') as batch:
        batch.create_index(batch.f('ix_calendar_reply_event_uid'), ['event_uid'], unique=False)
        batch.create_index(batch.f('ix_calendar_reply_loop_id'), ['loop_id'], unique=False)

    op.create_table(
        'reply_message',
        sa.Column('id', sa.Integer(), nullable=False),
        _str('message_key', 300),
        sa.Column('item', sa.Integer(), nullable=False),
        _str('outcome', 16),
        _str('reason'),
        _str('method', 16, True),
        _str('event_uid', 255, True),
        _str('loop_id', 64, True),
        _str('attendee', 254, True),
        _str('partstat', 16, True),
        sa.Column('sequence', sa.Integer(), nullable=True),
        _utc('replied_at', True),
        _str('comment'),
        _utc('proposed_start', True),
        _utc('proposed_end', True),
        _str('sender', 254),
        _str('subject'),
        _utc('received_at'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_key', 'item'),
    )
    with op.batch_alter_table('reply_message') as batch:
        batch.create_index(batch.f('ix_reply_message_message_key'), ['message_key'], unique=False)
        batch.create_index(batch.f('ix_reply_message_outcome'), ['outcome'], unique=False)
        batch.create_index(batch.f('ix_reply_message_event_uid'), ['event_uid'], unique=False)


def downgrade() -> None:
    op.drop_table('reply_message')
    op.drop_table('calendar_reply')
