"""Say when members' reports hid a post, rather than a moderator

Revision ID: 8b2d4f6a1c93
Revises: 0b60c35742c2
Create Date: 2026-12-08 02:00:00

A post hidden automatically by reports read "Removed by a moderator" though no moderator
had looked. `hidden_by_reports` marks those posts until a moderator decides; posts hidden
that way and still waiting are marked from their open cases.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b2d4f6a1c93'
down_revision = '0b60c35742c2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.add_column(sa.Column('hidden_by_reports', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute(
        sa.text(
            "UPDATE posts SET hidden_by_reports = :yes WHERE state = 'hidden' AND id IN "
            "(SELECT post_id FROM cases WHERE status = 'open' AND auto_hidden = :yes "
            "AND post_id IS NOT NULL)"
        ).bindparams(yes=True)
    )


def downgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.drop_column('hidden_by_reports')
