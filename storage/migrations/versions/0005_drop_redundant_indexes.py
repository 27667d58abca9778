"""drop two indexes that a unique constraint already covers

`ix_mention_source_id` is the leading column of `uq_mention_source_external`, and `ix_mention_brand_mention_id`
that of `uq_mention_brand`: every lookup they served uses the unique index just as well, and each extra b-tree
was written on every stored mention (ingest speed, issue 2).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:40:00
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_mention_source_id', table_name='mention')
    op.drop_index('ix_mention_brand_mention_id', table_name='mention_brand')


def downgrade() -> None:
    op.create_index('ix_mention_brand_mention_id', 'mention_brand', ['mention_id'])
    op.create_index('ix_mention_source_id', 'mention', ['source_id'])
