"""outbox first attempt and shared Slack pacing

When a worker first took an outbox row (a retried post looks for its earlier try since then, issue 20 defect 1),
and one row per Slack channel holding when the next message may go there, shared by all workers (defect 6).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 22:10:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('first_attempt_at', storage.models.UTCDateTime(), nullable=True))
    op.create_table(
        'slack_pace',
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('next_at', storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('channel'),
    )


def downgrade() -> None:
    op.drop_table('slack_pace')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('first_attempt_at')
