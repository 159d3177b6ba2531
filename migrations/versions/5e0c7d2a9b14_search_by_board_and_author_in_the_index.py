"""Search by board and author inside the index

Revision ID: 5e0c7d2a9b14
Revises: 63963b58ef96
Create Date: 2026-11-25 21:10:00

At a million posts, filtering search matches by board or author through a join reads
every match first. The index now carries each post's board and (unless anonymous) author,
so those filters narrow the match itself: FTS5 as a "scope" column of tokens such as
"b3 a42", PostgreSQL as plain columns with their own indexes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e0c7d2a9b14'
down_revision = '63963b58ef96'
branch_labels = None
depends_on = None


SEARCHABLE = (
    "FROM posts JOIN threads ON threads.id = posts.thread_id "
    "WHERE posts.state = 'visible' AND threads.state = 'visible'"
)
TITLE = "CASE WHEN threads.first_post_id = posts.id THEN threads.title ELSE '' END"

UPGRADE = {
    "sqlite": [
        "DROP TABLE post_search",
        "CREATE VIRTUAL TABLE post_search USING fts5("
        "title, body, scope, tokenize = 'unicode61 remove_diacritics 2')",
        "INSERT INTO post_search (rowid, title, body, scope) "
        f"SELECT posts.id, {TITLE}, posts.source, 'b' || threads.board_id || "
        "CASE WHEN posts.is_anonymous THEN '' ELSE ' a' || posts.author_id END "
        f"{SEARCHABLE}",
    ],
    "postgresql": [
        "ALTER TABLE post_search ADD COLUMN board_id INTEGER, ADD COLUMN author_id INTEGER",
        "UPDATE post_search SET board_id = threads.board_id, author_id = CASE WHEN "
        "posts.is_anonymous THEN NULL ELSE posts.author_id END FROM posts JOIN threads ON "
        "threads.id = posts.thread_id WHERE posts.id = post_search.post_id",
        "ALTER TABLE post_search ALTER COLUMN board_id SET NOT NULL",
        "CREATE INDEX ix_post_search_board ON post_search (board_id, post_id)",
        "CREATE INDEX ix_post_search_author ON post_search (author_id, post_id)",
    ],
}

DOWNGRADE = {
    "sqlite": [
        "DROP TABLE post_search",
        "CREATE VIRTUAL TABLE post_search USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 2')",
        f"INSERT INTO post_search (rowid, title, body) SELECT posts.id, {TITLE}, posts.source "
        f"{SEARCHABLE}",
    ],
    "postgresql": [
        "DROP INDEX ix_post_search_author",
        "DROP INDEX ix_post_search_board",
        "ALTER TABLE post_search DROP COLUMN author_id, DROP COLUMN board_id",
    ],
}


def upgrade():
    for statement in UPGRADE[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DOWNGRADE[op.get_bind().dialect.name]:
        op.execute(statement)
