"""admin: admin_user (the administration pages' accounts, argon2 hashes)

Revision ID: 0009
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models  # noqa: F401  (column types)

revision = '0009'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'admin_user',
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username'),
    )


def downgrade() -> None:
    op.drop_table('admin_user')
