"""Say that a deleted account's messages were removed by their author

Revision ID: c4e7a9d2b815
Revises: 8b2d4f6a1c93
Create Date: 2026-12-08 02:10:00

A member who deleted their account and their words left messages that read "removed by a
moderator: Something else". They now have a state of their own, `withdrawn`.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e7a9d2b815'
down_revision = '8b2d4f6a1c93'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE messages SET state = 'withdrawn', removal_reason = NULL "
        "WHERE state = 'hidden' AND removal_reason = 'withdrawn'"
    )


def downgrade():
    op.execute(
        "UPDATE messages SET state = 'hidden', removal_reason = 'withdrawn' "
        "WHERE state = 'withdrawn'"
    )
