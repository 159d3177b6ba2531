"""Add full-text search

Revision ID: 9c141cb8dd5c
Revises: 45a41b4d1d71
Create Date: 2026-11-25 16:49:55.868852

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c141cb8dd5c'
down_revision = '45a41b4d1d71'
branch_labels = None
depends_on = None


# The search index lives outside the models (FTS5 has no SQLAlchemy type), so its
# tables are made here for each database, and env.py leaves them out of `db check`.
CREATE = {
    "sqlite": [
        "CREATE VIRTUAL TABLE post_search USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 2')",
        "INSERT INTO post_search (rowid, title, body) "
        "SELECT posts.id, CASE WHEN threads.first_post_id = posts.id THEN threads.title "
        "ELSE '' END, posts.source FROM posts JOIN threads ON threads.id = posts.thread_id "
        "WHERE posts.state = 'visible' AND threads.state = 'visible'",
    ],
    "postgresql": [
        "CREATE TABLE post_search (post_id INTEGER PRIMARY KEY "
        "REFERENCES posts (id) ON DELETE CASCADE, document TSVECTOR NOT NULL)",
        "CREATE INDEX ix_post_search_document ON post_search USING GIN (document)",
        "INSERT INTO post_search (post_id, document) "
        "SELECT posts.id, setweight(to_tsvector('english', CASE WHEN threads.first_post_id "
        "= posts.id THEN threads.title ELSE '' END), 'A') || "
        "setweight(to_tsvector('english', posts.source), 'B') "
        "FROM posts JOIN threads ON threads.id = posts.thread_id "
        "WHERE posts.state = 'visible' AND threads.state = 'visible'",
    ],
}


def upgrade():
    for statement in CREATE[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    op.execute("DROP TABLE IF EXISTS post_search")
