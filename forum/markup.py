"""Markdown in, safe HTML out. The only module that touches bleach.

markdown-it-py renders CommonMark with raw HTML switched off (typed tags show as text);
bleach then keeps only an explicit allowlist, so even a mistake in the Markdown rules
cannot let a script through. Every link gets rel="nofollow ugc noopener", and images
become plain links: loading a picture from another site would tell it who is reading.
Text that may not carry links (a new member's private message) keeps every address as
plain, visible text instead.
"""

import html
import re
from html.parser import HTMLParser

import bleach
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

# Bump when the rules change; `flask posts rerender` brings stored HTML up to date.
# 2: headings start at the level under the page's own and never skip one.
MARKUP_VERSION = 2

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
# A post's headings sit under the page's own: the thread's title (h1), then the post's
# "Post by …" (h2). The site's own pages (the crisis protocol) have only their title above.
POST_TOP_HEADING = 3
PAGE_TOP_HEADING = 2


# "@rosa" anywhere but inside a word or an email address.
MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_-]{3,30})\b")


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.core.ruler.push("mentions", _link_mentions)
    md.core.ruler.push("headings", _level_headings)
    md.add_render_rule("image", _render_image_as_link)
    return md


def _build_linkless_markdown() -> MarkdownIt:
    """The same Markdown, but no link survives: each one becomes its text and its address."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.core.ruler.push("unlink", _unlink)
    md.core.ruler.push("headings", _level_headings)
    return md


def _build_text_markdown() -> MarkdownIt:
    """The same Markdown, read only for the words it shows: never displayed, so nothing
    needs linking or cleaning, which makes it several times quicker to render."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md


def _unlink(state) -> None:
    """Replace links and images with plain text, showing where they pointed.

    "[my bank](https://x)" becomes "my bank (https://x)": the reader sees the address
    instead of a friendly label, and nothing is clickable.
    """
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, opened = [], []
        for token in block.children:
            if token.type == "link_open":
                opened.append((str(token.attrGet("href") or ""), len(children)))
            elif token.type == "link_close":
                href, start = opened.pop() if opened else ("", len(children))
                label = "".join(child.content for child in children[start:])
                if href and label != href and label != href.removeprefix("mailto:"):
                    children.append(_text(f" ({href})"))
            elif token.type == "image":
                src = str(token.attrGet("src") or "")
                label = token.content or src
                children.append(_text(label if label == src else f"{label} ({src})"))
            else:
                children.append(token)
        block.children = children


def _link_mentions(state) -> None:
    """Turn "@name" into a link to that member's profile, for members who exist."""
    members = state.env.get("members") or set()
    if not members:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, inside_link = [], 0
        for token in block.children:
            inside_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type == "text" and not inside_link and "@" in token.content:
                children.extend(_split_mentions(token.content, members))
            else:
                children.append(token)
        block.children = children


def _split_mentions(text: str, members: set[str]) -> list[Token]:
    tokens, position = [], 0
    for match in MENTION.finditer(text):
        if match.group(1).lower() not in members:
            continue
        tokens.append(_text(text[position : match.start()]))
        link = Token("link_open", "a", 1)
        link.attrSet("href", f"/u/{match.group(1).lower()}")
        tokens += [link, _text(match.group(0)), Token("link_close", "a", -1)]
        position = match.end()
    tokens.append(_text(text[position:]))
    return [token for token in tokens if token.type != "text" or token.content]


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _render_image_as_link(self, tokens, idx, options, env):
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    label = self.renderInline(token.children or [], options, env) or escapeHtml(src)
    if not src.lower().startswith(("http://", "https://")):
        return label
    return f'<a href="{escapeHtml(src)}">{label}</a>'


def _level_headings(state) -> None:
    """Headings from the page's next level down, never skipping one, whatever the author
    typed: a guide's "##" sections become h3 under the post's h2, and a "####" straight
    after them h4. The shallowest level used becomes the top; each deeper level used, the
    next; and no heading goes more than one level below the heading before it."""
    top = state.env.get("top_heading", POST_TOP_HEADING)
    typed = sorted({int(token.tag[1]) for token in state.tokens if token.type == "heading_open"})
    ranked = {level: top + rank for rank, level in enumerate(typed)}
    level = top - 1
    for token in state.tokens:
        if token.type == "heading_open":
            level = min(ranked[int(token.tag[1])], level + 1, 6)
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{level}"


class LinkRelFilter(Filter):
    """Give every surviving link the same rel, whatever the source asked for."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attributes = dict(token.get("data", {}))
                attributes[(None, "rel")] = LINK_REL
                token["data"] = attributes
            yield token


_markdown = _build_markdown()
_linkless_markdown = _build_linkless_markdown()
_text_markdown = _build_text_markdown()
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[LinkRelFilter],
)
# Belt and braces for linkless text: even if a link slipped through, the tag is dropped.
_linkless_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS - {"a"},
    attributes={"ol": ["start"]},
    strip=True,
    strip_comments=True,
)


def render_markdown(
    source: str,
    members: set[str] | frozenset[str] = frozenset(),
    links: bool = True,
    top_heading: int = POST_TOP_HEADING,
) -> str:
    """Return sanitised HTML for a post's Markdown source.

    ``members`` are the lower-cased usernames that exist among those mentioned: only
    they become links, so a typo never points at a missing page. With ``links=False``
    nothing is linked, not even mentions: addresses stay visible as plain text.
    ``top_heading``: the level its first headings take (PAGE_TOP_HEADING for a page of
    its own).
    """
    if not links:
        rendered = _linkless_markdown.render(source, {"top_heading": top_heading})
        return _linkless_cleaner.clean(rendered).strip()
    env = {"members": set(members), "top_heading": top_heading}
    return _cleaner.clean(_markdown.render(source, env)).strip()


def mentioned_names(source: str) -> list[str]:
    """The lower-cased names "@mentioned" in a post, in order, without repeats."""
    return list(dict.fromkeys(name.lower() for name in MENTION.findall(source)))


# Tags between which a reader sees a break: their words must not run together as text.
BLOCK_TAGS = frozenset(
    {"p", "br", "hr", "pre", "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6",
     "table", "tr", "th", "td"}
)  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self, breaks: bool = False):
        # Entities are kept as typed here and decoded once, all together, by visible_text.
        super().__init__(convert_charrefs=False)
        self.pieces: list[str] = []
        self.breaks = breaks

    def handle_starttag(self, tag, attrs):
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.breaks and tag in BLOCK_TAGS:
            self.pieces.append(" ")

    def handle_data(self, data):
        self.pieces.append(data)

    def handle_entityref(self, name):
        self.pieces.append(f"&{name};")

    def handle_charref(self, name):
        self.pieces.append(f"&#{name};")


def visible_text(rendered: str) -> str:
    """The text a reader would see in rendered HTML, tags dropped and entities decoded."""
    extractor = _TextExtractor()
    extractor.feed(rendered)
    extractor.close()
    return html.unescape("".join(extractor.pieces))


def rendered_text(source: str) -> str:
    """What a reader sees of ``source`` once its Markdown is rendered: "**bit**coin" reads
    "bitcoin", with a space wherever blocks (paragraphs, list items) meet."""
    extractor = _TextExtractor(breaks=True)
    extractor.feed(_text_markdown.render(source))
    extractor.close()
    return html.unescape("".join(extractor.pieces))


class _LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.targets.update(value for name, value in attrs if name == "href" and value)


def link_targets(source: str) -> set[str]:
    """The addresses ``source`` links to once rendered, typed bare or as Markdown links
    (mentions of members are not linked here). Read before cleaning, which is slow and
    would only take away links to places a reader could not follow anyway."""
    collector = _LinkCollector()
    collector.feed(_markdown.render(source, {}))
    collector.close()
    return collector.targets


def first_words(rendered: str, limit: int) -> str:
    """The opening of rendered HTML as one line of plain text, cut at a word and ended
    with "…" when there is more: "Three ways it can return Cancer that comes back…"."""
    extractor = _TextExtractor(breaks=True)
    extractor.feed(rendered)
    extractor.close()
    text = " ".join(html.unescape("".join(extractor.pieces)).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:–—-") + "…"
