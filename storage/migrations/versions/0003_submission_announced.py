"""submission.announced_at: when the Prefect event of a submission was emitted

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import storage.models  # noqa: F401  (column types)

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submission') as batch:
        batch.add_column(sa.Column('announced_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    # What arrived before this column existed is not announced afterwards (it is old news).
    op.execute("UPDATE submission SET announced_at = submitted_at")


def downgrade() -> None:
    with op.batch_alter_table('submission') as batch:
        batch.drop_column('announced_at')
