"""Whatever arrives, in any field, query string or path, Harbor answers without a 500.

Property tests (hypothesis) throw arbitrary text, numbers and lists, control characters
among them, at every form field any form declares, at every page's query string and at
every part of every path; every page that sends people on to a ``next`` is asked to go
somewhere crafted to break out, and no redirect may lead off the site. The
examples share one small world per test (the database is reset between tests, not
between examples), which suits the property: no input, after any earlier one, fails.
"""

import inspect
import re
from urllib.parse import quote, urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from .factories import example_paths
from .test_security import build_world, enter_as


def form_field_names() -> list[str]:
    """Every field any form in Harbor declares: a new form's fields are covered too."""
    names, forms = set(), [FlaskForm]
    while forms:
        form = forms.pop()
        forms += form.__subclasses__()
        for klass in form.__mro__:
            names |= {
                name for name, value in vars(klass).items() if isinstance(value, UnboundField)
            }
    return sorted(names)


# Values that have broken web apps: empty, NUL, numbers too big for a column or a float,
# look-alike digits, bidi and zero-width characters, choices our forms offer, dates that
# are not, and far more text than any field allows.
ODD_VALUES = [
    "", " ", "\x00", "a\x00b", "0", "-1", "1", "2147483648", "9" * 40, "1e309", "NaN",
    "-0", "١٢", "１２", "\u202e", "\u200b", "\ufeff", "../", "%00", "<script>", "other",
    "remove", "keep", "never", "every", "daily", "love", "hide", "hidden", "dismissed",
    "admin", "moderator", "member", "public", "members", "staff", "block", "hold", "flag",
    "on", "y", "2030-01-01T00:00", "0000-00-00T99:99", "x" * 25_000, "\n" * 3000,
]  # fmt: skip
# Any value may reach a header (a redirect's Location above all, through ``next``), so
# each may carry a control character, on its own or inside a path of ours: a CR or LF
# there was a 500 once. Browsers read a backslash as a slash and drop tabs and newlines,
# so those come with paths to another site.
CONTROLS = "\r\n\t\x00\x01\x08\x0b\x0c\x1b\x1f\x7f\x85\u2028\u2029"
HEADER_BREAKERS = ["\r\nX-Evil: 1", "/\r\nX-Evil: 1", "/\t/evil.example", "//evil.example",
                   "/\\evil.example", "https://evil.example", "http:evil.example"]  # fmt: skip
with_controls = st.one_of(
    st.sampled_from(HEADER_BREAKERS),
    st.builds(
        lambda start, controls, end: start + controls + end,
        st.sampled_from(["", "/", "/b/treatments", "/\\", "//"]),
        st.text(alphabet=CONTROLS, min_size=1, max_size=3),
        st.sampled_from(["", "/", "X-Evil: 1", "evil.example/"]),
    ),
)
values = st.one_of(
    st.text(max_size=80),
    st.sampled_from(ODD_VALUES),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    with_controls,
)
field_values = st.one_of(values, st.lists(values, max_size=3))
QUERY_NAMES = ["q", "board", "author", "page", "to", "quote", "next", "actor", "action",
               "member", "slug", "thread_id"]  # fmt: skip

# Leaving would end the walk for the examples after it.
SESSION_ENDING = {"auth.logout"}
ANY_ANSWER = range(100, 500)
PAGED = ["/", "/b/treatments", "/t/{thread_id}/starting-a-new-treatment", "/messages",
         "/messages/{conversation_id}", "/mod/reports", "/mod/queue", "/mod/log"]  # fmt: skip
ARGUMENT = re.compile(r"<[^>]+>")
segments = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(min_size=1, max_size=40),
    st.sampled_from(ODD_VALUES[:20]),
    with_controls,
)


# Each kind of request: (method, path, form or query, the statuses that are answers).


def any_fields_to_any_form(data, app, world):
    posts = [path for rule, path in example_paths(app, world.values, methods={"POST"})
             if rule.endpoint not in SESSION_ENDING]  # fmt: skip
    fields = st.dictionaries(st.sampled_from(form_field_names()), field_values, max_size=8)
    return "POST", data.draw(st.sampled_from(posts)), data.draw(fields), ANY_ANSWER


def any_query_on_any_page(data, app, world):
    pages = [path for _, path in example_paths(app, world.values, methods={"GET"})]
    names = st.one_of(st.sampled_from(QUERY_NAMES), st.text(max_size=10))
    query = st.dictionaries(names, field_values, max_size=5)
    return "GET", data.draw(st.sampled_from(pages)), data.draw(query), ANY_ANSWER


def any_search(data, app, world):
    query = st.fixed_dictionaries({
        "q": values, "page": values,
        "board": st.one_of(values, st.just("treatments")),
        "author": st.one_of(values, st.just("author")),
    })  # fmt: skip
    return "GET", "/search", data.draw(query), (200, 404)


def any_page_number(data, app, world):
    path = data.draw(st.sampled_from(PAGED)).format(**world.values)
    # A page that cannot exist is missing; members' and staff pages turn others away.
    return "GET", path, {"page": data.draw(values)}, (200, 302, 403, 404)


def any_value_in_any_part_of_a_path(data, app, world):
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.arguments and rule.endpoint != "static"]  # fmt: skip
    rule = data.draw(st.sampled_from(rules))
    path = ARGUMENT.sub(lambda _: quote(data.draw(segments), safe=""), rule.rule)
    method = "POST" if "GET" not in rule.methods else "GET"
    return method, path, {"body": "x"} if method == "POST" else {}, ANY_ANSWER


REQUESTS = [any_fields_to_any_form, any_query_on_any_page, any_search, any_page_number,
            any_value_in_any_part_of_a_path]  # fmt: skip


def pages_that_send_people_on(app, world) -> list[tuple[str, str]]:
    """(method, path) of each view that takes where to go next from the request: the ones
    that call forum.navigation.safe_next, so a new one is drawn from the day it is written."""
    found = []
    for rule, path in example_paths(app, world.values):
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        if "safe_next" in view.__code__.co_names:
            found += [(method, path) for method in sorted(rule.methods & {"GET", "POST"})]
    return found


def any_next_page_to_a_page_that_goes_there(data, app, world):
    method, path = data.draw(st.sampled_from(pages_that_send_people_on(app, world)))
    fields = data.draw(st.dictionaries(st.sampled_from(form_field_names()), field_values,
                                       max_size=3))  # fmt: skip
    # Mostly crafted to break out, sometimes anything at all.
    next_page = data.draw(st.one_of(with_controls, with_controls, values))
    return method, path, {**fields, "next": next_page}, ANY_ANSWER


@pytest.fixture(params=["anonymous", "member", "admin"])
def visit(request, app, client, make):
    """A small world (built once for all a test's examples) and ``client`` logged in as
    the actor; returns (world, form token)."""
    world = build_world(make, request.param)
    return world, enter_as(client, world, request.param)


def send(client, token: str, method: str, path: str, fields: dict):
    if method == "POST":
        return client.post(path, data={"csrf_token": token, **fields})
    return client.get(path, query_string=fields)


def leads_off_site(response) -> bool:
    """A redirect to another host, or one a browser would read as another host."""
    location = response.headers.get("Location")
    if location is None:
        return False
    parts = urlsplit(location)
    return (
        parts.netloc not in ("", "localhost")
        or not parts.path.startswith("/")
        or "\\" in location
        or any(ord(character) < 0x20 or character == "\x7f" for character in location)
    )


@settings(max_examples=120)
@given(data=st.data())
def test_whatever_anyone_sends_gets_an_answer_not_an_error(app, client, visit, data):
    world, token = visit
    kind = data.draw(st.sampled_from(REQUESTS), label="kind")
    method, path, fields, answers = kind(data, app, world)
    response = send(client, token, method, path, fields)
    assert response.status_code in answers, (method, path, fields, response.status_code)
    assert not leads_off_site(response), (method, path, fields, response.headers["Location"])


@given(data=st.data())
def test_wherever_anyone_is_sent_next_it_is_a_page_on_this_site(app, client, visit, data):
    """Logging in (a member already in is sent straight on), confirming, blocking...: each
    page that goes to a ``next`` it is given, given one crafted to break out."""
    world, token = visit
    method, path, fields, answers = any_next_page_to_a_page_that_goes_there(data, app, world)
    response = send(client, token, method, path, fields)
    assert response.status_code in answers, (method, path, fields, response.status_code)
    assert not leads_off_site(response), (method, path, fields, response.headers["Location"])


def test_the_pages_that_send_people_on_are_found(app, make):
    """Drawn from the views' own code: if this finds none, the test above tests nothing."""
    found = pages_that_send_people_on(app, build_world(make, "member"))
    assert {("GET", "/login"), ("POST", "/confirm/resend"), ("POST", "/warnings/acknowledge"),
            ("POST", "/u/author/block")} <= set(found)  # fmt: skip


def test_every_form_field_is_known():
    """The fields drawn from must be the forms' own: a typo would test nothing."""
    assert {"title", "body", "reason", "display_name", "content_note_other", "until"} <= set(
        form_field_names()
    )
