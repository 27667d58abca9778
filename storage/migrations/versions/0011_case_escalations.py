"""case escalation count

Follow-ups are numbered by the escalations actually sent, not by the time since the deadline (issue 16).
Cases escalated before this revision count as escalated once.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 21:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('escalations', sa.Integer(), nullable=False, server_default='0'))
    op.execute(sa.text('UPDATE "case" SET escalations = 1 WHERE escalated_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.drop_column('escalations')
