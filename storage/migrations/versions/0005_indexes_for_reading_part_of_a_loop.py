"""Indexes for reading part of a loop: events by loop and start time, by loop, unit and kind (covering the tallies), attendees by email

Revision ID: 0005
Revises: 0003

`status`, `loop show` and a person's calendar feed read only what they show (counts, the next
events, one person's events); without these indexes each of them read every event of the loop.
"""
from alembic import op

revision = '0005'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_event_loop_id_start', 'event', ['loop_id', 'start'], unique=False)
    op.create_index('ix_event_loop_id_unit_id_kind', 'event', ['loop_id', 'unit_id', 'kind', 'status', 'start', 'end'],
                    unique=False)
    # ix_attendee_email (a person's feed) comes with the portal's migration 0007.


def downgrade() -> None:
    op.drop_index('ix_event_loop_id_unit_id_kind', table_name='event')
    op.drop_index('ix_event_loop_id_start', table_name='event')
