"""feedback

People's verdicts on whether a mention is a complaint, for tuning per-brand thresholds (`earful tune`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 23:10:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mention_id', sa.Integer(), nullable=False),
        sa.Column('verdict', sa.Boolean(), nullable=False),
        sa.Column('who', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('at', storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['mention_id'], ['mention.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_feedback_mention_id', 'feedback', ['mention_id'])


def downgrade() -> None:
    op.drop_index('ix_feedback_mention_id', table_name='feedback')
    op.drop_table('feedback')
