"""Count every visible post of a member; list only the threads each reader may see

Revision ID: 3d8e5b1a7c42
Revises: 7a3f1c9d2e60
Create Date: 2026-12-08 01:10:00

`approved_post_count` grew only when a moderator approved a held post, so a member whose
later posts went up without being held never reached the posts needed for messages.
`visible_post_count` counts every visible post, and is filled from the posts themselves.

Board pages now choose the threads each reader may see: the listing index carries the state
and author, so that choice (and counting along it to a later page) reads the index alone,
and a small partial index finds the held and hidden threads that staff also see.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d8e5b1a7c42'
down_revision = '7a3f1c9d2e60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('approved_post_count', new_column_name='visible_post_count',
                              existing_type=sa.Integer(), existing_nullable=False,
                              server_default='0')
    op.drop_index('ix_threads_board_listing', table_name='threads')
    op.create_index('ix_threads_board_listing', 'threads',
                    ['board_id', 'is_pinned', 'last_post_at', 'id', 'state', 'author_id'])
    op.create_index('ix_threads_unlisted', 'threads', ['board_id'],
                    sqlite_where=sa.text("state IN ('held', 'hidden')"),
                    postgresql_where=sa.text("state IN ('held', 'hidden')"))
    op.execute(
        "UPDATE users SET visible_post_count = (SELECT count(*) FROM posts "
        "WHERE posts.author_id = users.id AND posts.state = 'visible')"
    )


def downgrade():
    op.drop_index('ix_threads_unlisted', table_name='threads')
    op.drop_index('ix_threads_board_listing', table_name='threads')
    op.create_index('ix_threads_board_listing', 'threads',
                    ['board_id', 'is_pinned', 'last_post_at', 'id'])
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('visible_post_count', new_column_name='approved_post_count',
                              existing_type=sa.Integer(), existing_nullable=False,
                              server_default=None)
