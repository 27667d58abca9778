"""detector correction

The workspace's correction to the complaint model, learned from "Not a complaint" dismissals and `complaint`
marks (issue 14).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 21:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'detector_correction',
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('state', sa.JSON(), nullable=False),
        sa.Column('verdicts', sa.Integer(), nullable=False),
        sa.Column('updated_at', storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('scope'),
    )


def downgrade() -> None:
    op.drop_table('detector_correction')
