"""Remember which post a notification email is about

Revision ID: 0b60c35742c2
Revises: 3d8e5b1a7c42
Create Date: 2026-12-08 02:00:00

When a post is deleted by its author or hidden by a moderator, the notices about it are
taken back; the emails about it that have not gone yet are taken back with them, found by
this column. Emails queued before it existed have none, and go out as they would have.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0b60c35742c2'
down_revision = '3d8e5b1a7c42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_post_id_posts'), 'posts',
                                    ['post_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_outbox_post_id'), ['post_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_post_id'))
        batch_op.drop_constraint(batch_op.f('fk_outbox_post_id_posts'), type_='foreignkey')
        batch_op.drop_column('post_id')
