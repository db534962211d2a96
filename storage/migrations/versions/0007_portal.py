"""portal: submission_form (a web submission's fields, link and PDF), feed_link, attendee.email index

Revision ID: 0007
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models  # noqa: F401  (column types)

revision = '0007'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'submission_form',
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('capability_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('form', sa.JSON(), nullable=False),
        sa.Column('attachment_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('attachment', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['submission_id'], ['submission.id']),
        sa.PrimaryKeyConstraint('submission_id'),
    )
    with op.batch_alter_table('submission_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_form_capability_hash'), ['capability_hash'], unique=False)
    op.create_table(
        'feed_link',
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    with op.batch_alter_table('feed_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_link_email'), ['email'], unique=False)


    # A person's feed and page of talks find their events by address.
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendee_email'), ['email'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendee_email'))
    op.drop_table('feed_link')
    op.drop_table('submission_form')
