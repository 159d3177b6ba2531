"""Posts on a thread page, and its reply box, rendered once and kept for every reader in
the same position.

A post's HTML depends on two things: the post as it stands (its words, author, thread and
support counts, which the page generation versions: see forum/page_cache.py), and what
this reader may see and do with it (``Viewing``, worked out here, once, from the rules
in forum/policy.py). The template for a post is given nothing else; it is rendered with a
reader that refuses every question, so it cannot come to depend on one unnoticed.

Most readers of a post share a ``Viewing``: any member who may send support, quote and
report it, and who has not sent support yet or saved it. So a kept post serves all of
them. The forms in it carry a slot for the CSRF token, which each page fills in with its
reader's own.
"""

from dataclasses import dataclass, fields

from flask import current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .. import page_cache, policy
from ..models import Post, ReactionCount, Thread, User
from .forms import ReplyForm

# Member-written text can never hold it: posts are sanitised, so "<!--" is never theirs.
CSRF_SLOT = "<!--harbor-csrf-token-->"


@dataclass(frozen=True)
class Viewing:
    """What one reader may see and do with one post. ``None`` stands for "not shown"."""

    readable: bool  # the words, not a placeholder
    is_author: bool  # "A member (you)"; "only you and the moderators can see this"
    is_staff: bool  # "you can still see it because you are staff"
    note_open: bool  # content notes unfolded, a member's own preference
    can_react: bool
    mine: tuple[str, ...]  # the support this reader sent
    quote_page: int  # where a Quote link leads; 0 for none
    can_edit: bool
    bookmarked: bool | None  # None: no Bookmark button
    can_report: bool
    can_moderate: bool

    @property
    def key(self) -> str:
        """Every field, in order, as a short string: "1|0|0|0|1|hugs|3|0|-|1|0"."""
        return "|".join(
            ",".join(value) if isinstance(value, tuple) else "-" if value is None
            else str(int(value)) for value in (getattr(self, name) for name in FIELDS)
        )  # fmt: skip


FIELDS = [field.name for field in fields(Viewing)]


def viewing(reader: User, post: Post, thread: Thread, *, reactions: list[ReactionCount] = (),
            bookmarked: set[int] | None = None, quote_page: int = 0) -> Viewing | None:  # fmt: skip
    """``quote_page``: where a Quote link leads, given only when the reader may reply."""
    readable = policy.can_read_post(reader, post)
    if not (readable or policy.shows_placeholder(reader, post)):
        return None
    is_author = reader.is_authenticated and reader.id == post.author_id
    can_bookmark = bookmarked is not None and policy.can_bookmark(reader, post, thread)
    return Viewing(
        readable=readable,
        is_author=is_author,
        is_staff=policy.is_staff(reader),
        note_open=reader.is_authenticated and reader.always_show_noted_posts,
        can_react=post.is_visible and policy.can_react(reader, post, thread),
        mine=tuple(found.kind.value for found in reactions if found.mine),
        quote_page=quote_page if readable else 0,
        can_edit=policy.can_edit_post(reader, post, thread),
        bookmarked=(post.id in bookmarked) if can_bookmark else None,
        can_report=policy.can_report(reader, post),
        can_moderate=policy.can_moderate(reader),
    )


def rendered_posts(posts: list[Post], thread: Thread, reader: User, generation: int | None, *,
                   reactions: dict, bookmarked: set[int] | None,
                   quote_page: int) -> dict[int, Markup]:  # fmt: skip
    """Each post the reader may see, by id, as HTML: kept ones fetched, the rest rendered
    and kept. Posts hidden from this reader altogether are left out."""
    # The rules ask about the reader many times a post: ask the member, not the proxy.
    reader = getattr(reader, "_get_current_object", lambda: reader)()
    if not policy.can_reply(reader, thread):
        quote_page = 0  # asked once for the page, not for every post
    shown = []
    for post in posts:
        counts = reactions.get(post.id, [])
        view = viewing(reader, post, thread, reactions=counts, bookmarked=bookmarked,
                       quote_page=quote_page)  # fmt: skip
        if view is not None:
            shown.append((f"post:{generation}:{post.id}:{view.key}", post, view, counts))
    keys = [key for key, *_ in shown]
    found = dict(zip(keys, page_cache.kept(*keys), strict=True)) if generation else {}
    missing = [(key, post, view, counts) for key, post, view, counts in shown
               if found.get(key) is None]  # fmt: skip
    if missing:
        fresh = render_posts([item[1:] for item in missing], thread)
        found.update(zip([key for key, *_ in missing], fresh, strict=True))
        if generation:
            page_cache.keep({key: found[key] for key, *_ in missing})
    return {post.id: Markup(found[key]) for key, post, *_ in shown}


ToRender = tuple[Post, Viewing, list[ReactionCount]]


def render_posts(posts: list[ToRender], thread: Thread) -> list[str]:
    """The posts' HTML through the post_article macro, bound once to a context that knows
    nothing of the reader: forms get the token slot, and asking about current_user raises."""
    context = dict(WITHOUT_READER)
    current_app.update_template_context(context)  # keeps those
    macros = current_app.jinja_env.get_template("_macros.html").make_module(context)
    return [str(macros.post_article(post, thread, view, counts)) for post, view, counts in posts]


def reply_box(thread: Thread, anonymous_allowed: bool, start: str | None) -> Markup:
    """The reply box: kept when empty, which is the same for every member who may reply
    (a form of fixed fields whose token is a slot); rendered afresh around a draft or a quote.
    """
    key = f"reply-box:{thread.id}:{int(anonymous_allowed)}"
    (kept,) = [None] if start else page_cache.kept(key)
    if kept is None:
        kept = render_template(
            "threads/_reply_box.html", thread=thread, anonymous_allowed=anonymous_allowed,
            reply_form=ReplyForm(data={"body": start or ""}), **WITHOUT_READER,
        )  # fmt: skip
        if not start:
            page_cache.keep({key: kept})
    return Markup(kept)


def fill_csrf_slots(page: str) -> str:
    """The page with this reader's own token in each kept post's forms."""
    if CSRF_SLOT not in page:
        return page
    return page.replace(CSRF_SLOT, generate_csrf())


class NoReader:
    """Stands in for ``current_user`` while a post is rendered for keeping."""

    def __getattr__(self, name: str):
        raise RuntimeError(
            f"A kept post's HTML asked current_user.{name}: it must depend only on the post "
            "and its Viewing (forum/threads/post_html.py), or one reader's page would be "
            "shown to another."
        )


# What kept HTML is rendered with in place of the reader and their token.
WITHOUT_READER = {"current_user": NoReader(), "csrf_token": lambda: Markup(CSRF_SLOT)}
