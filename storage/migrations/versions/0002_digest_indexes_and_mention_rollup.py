"""digest indexes and mention rollup

Indexes for the digest's per-period case, event and negative-mention reads, and the quarter-hour mention
rollup it reads instead of scanning weeks of mentions (filled by storage.rollup on its first refresh).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:47:28.008186
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rollup_mark',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('upto', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('mention_rollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('neutral', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brand.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('brand_id', 'bucket', name='uq_mention_rollup')
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_first_response_at'), ['first_response_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_resolved_at'), ['resolved_at'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_at'), ['at'], unique=False)

    with op.batch_alter_table('mention_brand', schema=None) as batch_op:
        batch_op.create_index('ix_mention_brand_negative', ['brand_id', 'negative', 'published_at', 'mention_id'],
                              unique=False)



def downgrade() -> None:
    with op.batch_alter_table('mention_brand', schema=None) as batch_op:
        batch_op.drop_index('ix_mention_brand_negative')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_at'))

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_case_opened_at'))
        batch_op.drop_index(batch_op.f('ix_case_first_response_at'))

    op.drop_table('mention_rollup')
    op.drop_table('rollup_mark')
