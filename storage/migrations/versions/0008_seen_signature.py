"""seen signatures

Signed push requests already accepted, so an identical request sent again within the signature window is
refused as a replay, across restarts and workers (issue 18).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'seen_signature',
        sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('seen_at', storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('signature'),
    )
    op.create_index('ix_seen_signature_seen_at', 'seen_signature', ['seen_at'])


def downgrade() -> None:
    op.drop_index('ix_seen_signature_seen_at', table_name='seen_signature')
    op.drop_table('seen_signature')
