"""The page generation: one number that every change to the forum moves on.

Pages kept for visitors (forum/page_cache.py) are filed under the generation they were
rendered at. Any transaction that writes anything also adds one to it, in the same
transaction, so a page filed under an older number is never served again.
"""

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# The one row's id.
THE_GENERATION = 1


class PageGeneration(db.Model):
    __tablename__ = "page_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
