"""Hostile words go in through the forms members use and come out inert on every page.

Several hundred inputs (script tags, event handlers, dangerous link schemes in every
Markdown shape, SVG and MathML, style, comments, CDATA, encoded and mixed-case variants,
invisible and bidirectional characters, Markdown edge cases) are posted as titles,
threads, replies, content notes, display names, "my story", "about", private messages and
report notes. The pages that show them are then read with an HTML parser, tag by tag as
a browser's tokenizer reads them, and must hold no script but harbor.js, no event handler
or style attribute, no embedding element, and no link to anything but http(s), mailto
or this site.
"""

import re
from html.parser import HTMLParser
from itertools import product
from urllib.parse import urlsplit
from xml.etree import ElementTree

from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, PostState
from forum.services import messaging, posting

from .factories import csrf_token, log_in

# Whole-tag attacks, each written the way a browser would happily run it.
HTML_ATTACKS = [
    "<script>alert(1)</script>",
    "<script src=https://evil.example/x.js></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="color:red">styled</p>',
    "<style>body{display:none}</style>",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<form action="javascript:alert(1)"><button>Go</button></form>',
    '<button formaction="javascript:alert(1)">Go</button>',
    '<base href="javascript:/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<!--<script>alert(1)</script>-->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<video><source onerror=alert(1)></video>",
    "<xss onpointerover=alert(1)>hover</xss>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "\x02<script>alert(1)</script>\x03",
]


def mixed_case(text: str) -> str:
    """<ScRiPt> and ONERROR: filters that match one case only miss these."""
    return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(text))


RLO, ZERO_WIDTH = "\u202e", "\u200b"
# Where a tag attack can sit in Markdown, and tricks around it.
WRAPPINGS = [
    lambda attack: attack,
    mixed_case,
    lambda attack: (
        f"> {attack}\n>\n> - {attack}\n\n| a | b |\n|---|---|\n| {attack} | **{attack}** |"
    ),
    lambda attack: f"Inline `{attack}` and\n\n```\n{attack}\n```",
    lambda attack: RLO + attack + ZERO_WIDTH + attack.replace("<", "<" + ZERO_WIDTH, 1),
]

# Link targets that must never become a link.
BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "javascript&colon;alert(1)",
    "&#106;avascript:alert(1)",
    "javascript://%0aalert(1)",
    "\u202ejavascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "jar:https://evil.example/x.jar!/",
]
# Every Markdown shape a link can take.
LINK_SHAPES = [
    "[click me]({})",
    "[click me](<{}>)",
    '[click me]({} "a title")',
    "![a picture]({})",
    "<{}>",
    "{}",
    "[click me][ref]\n\n[ref]: {}",
    "[![a picture]({})]({})",
]

MARKDOWN_EDGES = [
    "[" * 500 + "x" + "]" * 500,
    ">" * 300 + " deep",
    "*" * 1000,
    "- " * 200 + "deep list",
    "```" + "\n" * 50,
    "| a |\n|" + "---|" * 300 + "\n| " + "<b>x</b> | " * 300,
    '[x](http://example.org/"onmouseover="alert(1))',
    '[x](http://example.org/ "title\\" onmouseover=\\"alert(1)")',
    "[x](https://example.org/?a=<script>alert(1)</script>)",
    '<a href="http://example.org" onclick="alert(1)">ok</a>',
    "http://example.org/<script>alert(1)</script>",
    "@member <script>alert(1)</script> @member",
    "[@member](javascript:alert(1))",
    "\\<script>alert(1)\\</script>",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\\\`<img src=x onerror=alert(1)>`\\\\",
    "1. [x](javascript:alert(1))\n2. <img src=x onerror=alert(1)>",
    "# <script>alert(1)</script>\n###### <svg onload=alert(1)>",
    "~~<script>alert(1)</script>~~",
    "Plain words with a NUL\x00<script>alert(1)</script>",
]

VECTORS = list(
    dict.fromkeys(
        [wrap(attack) for attack, wrap in product(HTML_ATTACKS, WRAPPINGS)]
        + [shape.format(url, url) for url, shape in product(BAD_URLS, LINK_SHAPES)]
        + MARKDOWN_EDGES
    )
)


def test_there_are_at_least_300_different_hostile_inputs():
    assert len(VECTORS) >= 300


# Reading a page as a browser would.

SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background",
                  "cite", "ping", "srcset", "xlink:href", "codebase", "manifest"}  # fmt: skip
EMBEDDING = {"iframe", "frame", "frameset", "object", "embed", "applet", "style", "base",
             "img", "video", "audio", "source", "picture", "template", "portal", "math",
             "svg", "noscript"}  # fmt: skip
# The layout's own script (its name carries a hash of its contents: forum/assets.py), and
# its "no favicon" link (base.html): an empty data: URL, with nothing to load or run.
OUR_SCRIPT = re.compile(r"/static/harbor(\.[0-9a-f]+)?\.js")
OUR_ICON = {"rel": "icon", "href": "data:,"}


def scheme_of(url: str) -> str | None:
    """The scheme a browser would follow: it drops tabs and newlines anywhere, and
    control characters and spaces around the address, before reading the scheme."""
    url = re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(0x21))))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", url)
    return match.group(1).lower() if match else None


class DangerFinder(HTMLParser):
    """Reads tags and attributes as a browser's tokenizer does (entities decoded, any
    case), noting everything that could run code, load something, or restyle the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and attributes == OUR_ICON:
            return
        if tag in EMBEDDING:
            self.found.append(f"<{tag}>")
        elif tag == "script":
            self.in_script = True
            if not OUR_SCRIPT.fullmatch(attributes.get("src") or ""):
                self.found.append(f"<script {attributes}>")
        elif tag == "meta" and "http-equiv" in attributes:
            self.found.append(f"<meta http-equiv={attributes['http-equiv']!r}>")
        for name, value in attrs:
            if (
                name.startswith("on")
                or name in ("style", "srcdoc")
                or (name in URL_ATTRIBUTES and scheme_of(value or "") not in (None, *SAFE_SCHEMES))
            ):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.found.append(f"a script that says {data[:80]!r}")


def dangers(page: str) -> list[str]:
    """Everything in ``page`` that could run code, load something, or restyle the page."""
    finder = DangerFinder()
    finder.feed(page)
    finder.close()
    return finder.found


def test_the_reader_finds_what_a_browser_would_run():
    """The checker itself: each of these would run or load something in a browser."""
    for page in [
        "<p>fine</p><script>alert(1)</script>",
        '<a href=" JaVa&#x09;script:alert(1)">x</a>',
        "<p ONCLICK=alert(1)>x</p>",
        '<p style="x">x</p>',
        "<svg><circle/></svg>",
        "<math><mi>x</mi></math>",
        '<iframe src="https://example.org"></iframe>',
        '<form action="data:text/html,x"></form>',
        '<meta http-equiv="refresh" content="0">',
        '<link rel="icon" href="data:text/html,x">',
        '<script src="/static/harbor.js.evil.example/x.js"></script>',
        '<a href="vbscript:x">x</a>',
    ]:
        assert dangers(page), page
    ours = (
        '<script src="/static/harbor.3f9c2a1b0d.js" defer></script><a href="/t/1">x</a>'
        '<link rel="icon" href="data:,">'
        '<a href="https://example.org" rel="nofollow">x</a><a href="mailto:a@example.org">x</a>'
        '<form method="post" action="/logout"></form><!-- <script>alert(1)</script> -->'
    )
    assert dangers(ours) == []


# Through the forms, onto the pages.

ATOM = "{http://www.w3.org/2005/Atom}"
# Where a new thread's redirect leads: /t/<thread id>/<slug>?page=1#p<post id>
THREAD = re.compile(r"^/t/(\d+)/")


def inert(response, where: str) -> None:
    assert response.status_code < 500, where
    assert dangers(response.text) == [], where


def feed_dangers(response) -> list[str]:
    """An Atom feed's titles are text; its content is HTML that feed readers render."""
    feed = ElementTree.fromstring(response.data)
    found = []
    for entry in feed.iter(f"{ATOM}entry"):
        for content in entry.iter(f"{ATOM}content"):
            found += dangers(content.text or "")
    return found


def page_path(response) -> str:
    """Where a redirect leads, without its #fragment."""
    location = urlsplit(response.headers["Location"])
    return location.path + (f"?{location.query}" if location.query else "")


class Member:
    """A member with their own logged-in browser."""

    def __init__(self, app, user):
        self.user = user
        self.client = app.test_client()
        log_in(self.client, user)
        self.token = csrf_token(self.client)

    def post(self, path: str, fields: dict):
        return self.client.post(path, data={"csrf_token": self.token, **fields})

    def get(self, path: str, **query):
        return self.client.get(path, query_string=query or None)


def note_fields(text: str) -> dict:
    return {"content_note_choice": "other", "content_note_other": text[:60]}


def pages(client, path: str, **query):
    """Every page of a paginated list."""
    number = 1
    while True:
        response = client.get(path, query_string={"page": number, **query})
        if response.status_code == 404 and number > 1:
            return
        yield response
        number += 1


# One-line and plain-text fields (titles, names, notes, search) are not Markdown: what
# matters there is breaking out of the tag or attribute they are written into.
PLAIN_VECTORS = list(dict.fromkeys(HTML_ATTACKS + [mixed_case(a) for a in HTML_ATTACKS] + BAD_URLS))
LINK_VECTORS = [shape.format(url, url) for url, shape in product(BAD_URLS, LINK_SHAPES)]


def test_hostile_posts_come_out_inert_on_their_thread_pages(app, make):
    """Each input opens a thread (its title and content note hostile too) and is replied."""
    board = make.board("treatments")
    make.member("member")  # so that "@member" in an input becomes a mention link
    rosa, jun = Member(app, make.member("rosa")), Member(app, make.member("jun"))
    visitor = app.test_client()
    refused = []
    for number, words in enumerate(VECTORS):
        where = f"input {number}: {words[:80]!r}"
        plain = f"{number} {PLAIN_VECTORS[number % len(PLAIN_VECTORS)]}"
        started = rosa.post(f"/b/{board.slug}/new", {"title": plain, "body": words,
                                                     **note_fields(plain)})  # fmt: skip
        inert(started, where)
        if started.status_code != 302:
            refused.append(words)  # with the words kept in the form, checked just above
            continue
        thread_id = int(THREAD.search(started.headers["Location"]).group(1))
        inert(jun.post(f"/t/{thread_id}/reply", {"body": words, **note_fields(words)}), where)
        inert(visitor.get(page_path(started)), where)
        if number % 15 == 14:  # the feed holds the latest 30 posts
            assert feed_dangers(visitor.get(f"/b/{board.slug}/feed.atom")) == [], where
    for page in pages(visitor, f"/b/{board.slug}"):
        inert(page, "the board's list of threads")
    inert(rosa.get("/notifications"), "rosa's notifications")
    # Every attack is posted; only Markdown that shows nothing, or holds a NUL, is not.
    assert set(refused) <= set(MARKDOWN_EDGES) and len(refused) < 10
    stored = db.session.scalars(select(Post.id).where(Post.state == PostState.VISIBLE)).all()
    assert len(stored) == 2 * (len(VECTORS) - len(refused))


def test_hostile_names_notes_and_searches_come_out_inert(app, make):
    board = make.board("treatments")
    rosa, jun = Member(app, make.member("rosa")), Member(app, make.member("jun"))
    moderator = Member(app, make.moderator("marta"))
    thread = make.thread(board=board, author=rosa.user)
    # Beside this reply the thread page shows jun's name and story.
    posting.reply(thread, jun.user, "Thinking of you.")
    for number, words in enumerate(PLAIN_VECTORS):
        where = f"input {number}: {words[:80]!r}"
        profile = {"display_name": words[:50], "story": words[:120], "about": words,
                   "email_frequency": "never"}  # fmt: skip
        inert(jun.post("/settings", profile), where)
        inert(jun.get("/u/jun"), where)
        inert(rosa.get(f"/t/{thread.id}/{thread.slug}"), where)
        reply = posting.reply(thread, rosa.user, f"Reply {number}")
        inert(jun.post(f"/p/{reply.id}/report", {"reason": "other", "note": words}), where)
        inert(jun.get("/search", q=words), where)
    for page in pages(moderator.client, "/mod/reports"):
        inert(page, "the moderators' reports")
    inert(moderator.get("/mod/u/jun"), "the moderators' page about jun")


def test_hostile_private_messages_come_out_inert(app, make):
    """A member's links are links; a newcomer's stay plain text: both ways are checked."""
    rosa, jun = Member(app, make.member("rosa")), Member(app, make.member("jun"))
    newcomer = Member(app, make.newcomer("nell", confirmed=True))
    conversation = messaging.start_conversation(rosa.user, [jun.user, newcomer.user],
                                                "Hello", "How is everyone?")  # fmt: skip
    # Messages use the posts' Markdown, so each tag attack once is enough there; links
    # take the newcomer's own path, where every address must stay plain text.
    sent = [(jun, words) for words in HTML_ATTACKS]
    sent += [(newcomer, words) for words in LINK_VECTORS]
    for number, (sender, words) in enumerate(sent):
        inert(sender.post(f"/messages/{conversation.id}/reply", {"body": words}),
              f"message {number}: {words[:80]!r}")  # fmt: skip
    for page in pages(rosa.client, f"/messages/{conversation.id}"):
        inert(page, "the conversation")
    inert(rosa.get("/messages"), "rosa's conversations")
