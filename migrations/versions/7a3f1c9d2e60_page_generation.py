"""The page generation, which files visitors' cached pages

Revision ID: 7a3f1c9d2e60
Revises: 5e0c7d2a9b14
Create Date: 2026-11-26 00:10:00

One row holding one number. Every transaction that writes adds one to it (forum/page_cache.py),
so a page kept from before the write is never served after it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3f1c9d2e60'
down_revision = '5e0c7d2a9b14'
branch_labels = None
depends_on = None


def upgrade():
    generation = op.create_table(
        'page_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_page_generation')),
    )
    op.bulk_insert(generation, [{'id': 1, 'value': 1}])


def downgrade():
    op.drop_table('page_generation')
