"""spike alert lifecycle

The live spike check keeps each alert's latest explanation, how many calm buckets it has seen, when it ended,
until when it is muted, and who handled it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:15:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('spike_alert') as batch:
        batch.add_column(sa.Column('explanation', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('calm_buckets', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('ended_at', storage.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('muted_until', storage.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('handled_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('spike_alert') as batch:
        for name in ('handled_by', 'muted_until', 'ended_at', 'calm_buckets', 'explanation'):
            batch.drop_column(name)
