"""a story is the mentions that share a story key: drop mention.story_id

story_id held the id of the first mention of a story. Only ingest read it, to give a story that already has
a case no second one, and the story key answers that directly. Keeping story_id cost, for every stored
mention, a look-up of the story's first id, a second write of the row (a new story's first mention points at
itself, which is known only after the insert) and an index entry: about 4 µs of the 28 spent storing a
mention (issue 2).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 06:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_mention_story_id', table_name='mention')
    dialect = op.get_bind().dialect
    if dialect.name == 'sqlite' and dialect.server_version_info < (3, 35):
        with op.batch_alter_table('mention') as batch_op:  # copies the table: older SQLite cannot drop a column
            batch_op.drop_column('story_id')
    else:
        op.drop_column('mention', 'story_id')  # in place, on PostgreSQL and SQLite 3.35+


def downgrade() -> None:
    op.add_column('mention', sa.Column('story_id', sa.Integer(), nullable=True))
    # every mention points at the first of its story again
    op.execute('UPDATE mention SET story_id = (SELECT min(m.id) FROM mention m WHERE m.story_key = mention.story_key)')
    op.create_index('ix_mention_story_id', 'mention', ['story_id'])
