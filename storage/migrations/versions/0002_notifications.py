"""notifications: outbox, submission, capability

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models  # noqa: F401  (column types)

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, storage.models.UTCDateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int | None = None, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        _str('key', 400),
        _str('kind', 48),
        _str('loop_id', 64, True),
        _str('event_uid', 128, True),
        _str('recipient', 254),
        _str('subject'),
        _str('message_id', 200),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('ics', sa.LargeBinary(), nullable=True),
        _str('method', 16, True),
        _str('status', 16),
        sa.Column('attempts', sa.Integer(), nullable=False),
        _utc('due_at'),
        _utc('created_at'),
        _utc('next_attempt_at'),
        _utc('lease_until', True),
        _utc('sent_at', True),
        sa.Column('smtp_code', sa.Integer(), nullable=True),
        _str('smtp_response', None, True),
        _str('last_error', None, True),
        _utc('updated_at'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
        sa.UniqueConstraint('message_id'),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_loop_id'), ['loop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_event_uid'), ['event_uid'], unique=False)

    op.create_table(
        'submission',
        sa.Column('id', sa.Integer(), nullable=False),
        _str('event_uid', 128),
        _str('loop_id', 64),
        _str('kind', 32),
        _str('unit_id', 64, True),
        sa.Column('number', sa.Integer(), nullable=True),
        _utc('submitted_at'),
        _str('by', 254),
        _str('content'),
        _str('url', None, True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_event_uid'), ['event_uid'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_loop_id'), ['loop_id'], unique=False)

    op.create_table(
        'capability',
        _str('token_hash', 64),
        _str('purpose', 32),
        _str('event_uid', 128),
        _str('recipient', 254),
        _utc('expires_at'),
        _utc('created_at'),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    with op.batch_alter_table('capability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capability_event_uid'), ['event_uid'], unique=False)


def downgrade() -> None:
    op.drop_table('capability')
    op.drop_table('submission')
    op.drop_table('outbox')
