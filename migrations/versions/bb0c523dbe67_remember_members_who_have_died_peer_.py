"""Remember members who have died, give peer mentors their badge, and mark first threads

Revision ID: bb0c523dbe67
Revises: 7ce1d1cf3b5b
Create Date: 2026-11-25 18:27:52.566667

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb0c523dbe67'
down_revision = '7ce1d1cf3b5b'
branch_labels = None
depends_on = None


def upgrade():
    # Existing threads are not anyone's "first thread": the welcome is for new ones.
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_authors_first', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remembered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('remembrance', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('remembrance_dates', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('is_mentor', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('mentor_listed', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('mentor_listed')
        batch_op.drop_column('is_mentor')
        batch_op.drop_column('remembrance_dates')
        batch_op.drop_column('remembrance')
        batch_op.drop_column('remembered_at')

    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_column('is_authors_first')
