"""Journeys through Harbor in a real browser, each person in a browser of their own."""

import re

from playwright.sync_api import expect

from tests.factories import PASSWORD

from .steps import flash, log_in, newcomer_name, post_by, press_enter, sign_up, tab_to

GUIDE_CREDIT = "HealthCentral"
TITLE = "Scan results on Thursday"


def test_a_newcomer_reads_a_guide_joins_and_posts_and_is_answered(page, open_page, harbor):
    rosa = newcomer_name("rosa")

    # Rosa finds the board about treatments and reads its pinned guide without an account.
    page.goto("/")
    page.get_by_role("link", name="Treatments and side effects").click()
    page.locator(".thread-row.pinned").first.get_by_role("link").first.click()
    expect(page.locator("article.post").first).to_contain_text(GUIDE_CREDIT)
    guide = page.url

    # She joins from there and comes back to the guide she was reading.
    sign_up(page, rosa)
    expect(page).to_have_url(guide)

    # She starts a thread with a content note and previews it before posting.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Treatments and side effects"
    ).click()
    page.get_by_role("link", name="Start a thread").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Message", exact=True).fill("Waiting is the **hardest** part. Any tips?")
    page.get_by_label("Content note (optional)").select_option("Scan results")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview: not posted yet")
    expect(preview.locator("strong")).to_have_text("hardest")
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    expect(page.get_by_label("Content note (optional)")).to_have_value("Scan results")
    page.get_by_role("button", name="Post thread").click()

    # Her first post waits for a moderator; she can see it, behind its content note.
    expect(flash(page)).to_contain_text("A moderator will look at your post shortly")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    note = page.get_by_text("Content note: Scan results — show post")
    note.click()
    expect(post_by(page, "Content note").locator(".post-body strong")).to_have_text("hardest")
    thread_url = page.url

    # A moderator approves it from the queue.
    moderator = open_page()
    log_in(moderator, harbor.cast["moderator"], then="/mod/queue")
    moderator.locator(".queue-item").filter(has_text=TITLE).get_by_role(
        "button", name="Approve"
    ).click()
    expect(flash(moderator)).to_contain_text("Approved")

    # Jun, who has been here a while, replies and sends support.
    jun = open_page()
    log_in(jun, "jun", then=thread_url.removeprefix(harbor.url))
    jun.get_by_label("Your reply").fill("You're not alone in the waiting, Rosa.")
    jun.get_by_role("button", name="Post reply").click()
    expect(flash(jun)).to_contain_text("Your reply is posted.")
    hugs = post_by(jun, "Content note").get_by_role("button", name="Hugs")
    hugs.click()
    hugs = post_by(jun, "Content note").get_by_role("button", name="Hugs")
    expect(hugs).to_have_attribute("aria-pressed", "true")
    expect(hugs).to_contain_text("1")

    # Rosa sees that something is waiting for her, and what.
    page.reload()
    expect(page.get_by_role("link", name=re.compile(r"Notifications 3 unread"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Notifications")).click()
    notifications = page.get_by_role("main")
    expect(notifications).to_contain_text("approved your post")
    expect(notifications).to_contain_text(f"jun replied to “{TITLE}”")
    expect(notifications).to_contain_text(f"jun sent support for your post in “{TITLE}”")
    page.get_by_role("button", name=f"jun replied to “{TITLE}”").click()
    expect(post_by(page, "You're not alone in the waiting")).to_be_in_viewport()


def test_a_member_reports_a_scam_and_a_moderator_hides_it_from_the_queue(open_page, harbor):
    scam = "DM me for a miracle cure"
    ola = open_page()
    log_in(ola, "ola", then=harbor.cast["report_thread"]["path"])
    post_by(ola, scam).get_by_role("link", name="Report").click()
    ola.get_by_label("Spam or a scam").check()
    ola.get_by_label("Anything a moderator should know (optional)").fill("Selling a cure.")
    ola.get_by_role("button", name="Send report").click()
    expect(flash(ola)).to_contain_text("Thank you for telling us")

    moderator = open_page()
    log_in(moderator, harbor.cast["moderator"], then="/mod")
    moderator.get_by_role("link", name=re.compile("^Reports")).first.click()
    case = moderator.locator(".queue-item").filter(has_text=scam)
    expect(case).to_contain_text("Spam or a scam from ola")
    case.get_by_label("Reason").fill("Selling a miracle cure.")
    case.get_by_role("button", name="Hide post", exact=True).click()
    expect(flash(moderator)).to_contain_text("Done. The report is closed.")
    expect(moderator.locator(".queue-item").filter(has_text=scam)).to_have_count(0)

    ola.reload()
    expect(ola.get_by_text(scam)).to_have_count(0)
    expect(ola.get_by_role("main")).to_contain_text("Removed by a moderator: Spam or a scam.")


def test_a_moderator_locks_a_thread_and_moves_it_to_another_board(open_page, harbor):
    path = harbor.cast["curation_thread"]["path"]
    moderator = open_page()
    log_in(moderator, harbor.cast["moderator"], then=path)
    tools = moderator.locator("details.thread-tools")
    tools.get_by_text("Moderator tools").click()
    lock = tools.locator("form").filter(has=moderator.get_by_role("button", name="Lock"))
    lock.get_by_label("Reason (optional)").fill("Answered many times; see the pinned guide.")
    lock.get_by_role("button", name="Lock").click()
    expect(flash(moderator)).to_contain_text("Locked: no more replies.")
    expect(moderator.get_by_role("main")).to_contain_text(
        "new replies are closed. Moderator's note: Answered many times; see the pinned guide."
    )

    moderator.get_by_text("Moderator tools").click()
    moderator.get_by_label("Move to").select_option(label="Living with metastatic breast cancer")
    moderator.get_by_role("button", name="Move", exact=True).click()
    expect(flash(moderator)).to_contain_text("Moved to Living with metastatic breast cancer.")
    crumbs = moderator.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs).to_contain_text("Living with metastatic breast cancer")

    # Members find it on its new board, marked locked, with no reply box.
    jun = open_page()
    log_in(jun, "jun", then="/b/living-with-mbc")
    row = jun.locator(".thread-row").filter(has_text="Best socks for cold feet?")
    expect(row.locator(".tag").first).to_have_text("Locked")
    row.get_by_role("link", name="Best socks for cold feet?").click()
    expect(jun.get_by_label("Your reply")).to_have_count(0)
    jun.goto("/b/treatments")
    expect(jun.get_by_text("Best socks for cold feet?")).to_have_count(0)


def test_a_newcomer_does_it_all_with_the_keyboard_alone(page):
    """Tab to move, Enter to follow and send; typing in the fields; nothing else."""
    rosa = newcomer_name("kim")
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()

    tab_to(page, "Treatments and side effects")
    press_enter(page)
    guide_title = page.locator(".thread-row.pinned a").first.inner_text()
    tab_to(page, guide_title)
    press_enter(page)
    expect(page.locator("article.post").first).to_contain_text(GUIDE_CREDIT)

    tab_to(page, "Join")
    press_enter(page)
    for field, words in (("username", rosa), ("email", f"{rosa}@example.org"),
                         ("password", PASSWORD), ("confirm", PASSWORD)):  # fmt: skip
        tab_to(page, id=field)
        page.keyboard.type(words)
    press_enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(guide_title)

    tab_to(page, "Treatments and side effects")
    press_enter(page)
    tab_to(page, "Start a thread")
    press_enter(page)
    tab_to(page, id="title")
    page.keyboard.type(TITLE)
    tab_to(page, id="body")
    page.keyboard.type("Typed without a mouse. Waiting is the **hardest** part.")
    tab_to(page, id="content_note_choice")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Content note (optional)")).to_have_value("Scan results")
    tab_to(page, "Preview")
    press_enter(page)
    expect(page.get_by_role("region", name="Preview: not posted yet")).to_contain_text(
        "Typed without a mouse."
    )
    tab_to(page, "Post thread")
    press_enter(page)
    expect(flash(page)).to_contain_text("A moderator will look at your post shortly")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def test_a_newcomer_does_it_all_on_a_phone(phone):
    rosa = newcomer_name("ana")
    phone.goto("/")
    phone.get_by_role("link", name="Treatments and side effects").tap()
    phone.locator(".thread-row.pinned").first.get_by_role("link").first.tap()
    expect(phone.locator("article.post").first).to_contain_text(GUIDE_CREDIT)
    guide = phone.url

    phone.get_by_text("Menu", exact=True).tap()
    sign_up(phone, rosa)
    expect(phone).to_have_url(guide)

    phone.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Treatments and side effects"
    ).tap()
    phone.get_by_role("link", name="Start a thread").tap()
    phone.get_by_label("Title").fill(TITLE)
    phone.get_by_label("Message", exact=True).fill("From my phone in the waiting room.")
    phone.get_by_label("Content note (optional)").select_option("Scan results")
    phone.get_by_role("button", name="Preview").tap()
    expect(phone.get_by_role("region", name="Preview: not posted yet")).to_contain_text(
        "From my phone in the waiting room."
    )
    phone.get_by_role("button", name="Post thread").tap()
    expect(flash(phone)).to_contain_text("A moderator will look at your post shortly")
    phone.get_by_text("Content note: Scan results — show post").tap()
    expect(phone.get_by_text("From my phone in the waiting room.")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_what_is_hard_to_undo_asks_first(open_page, harbor):
    moderator = open_page()
    log_in(moderator, harbor.cast["moderator"], then="/mod/queue")
    held = moderator.locator(".queue-item").filter(has_text="Hello from a newcomer")
    held.get_by_label("Reason").fill("Testing the question.")
    asked = []

    def decline(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    moderator.once("dialog", decline)
    held.get_by_role("button", name="Reject").click()
    assert asked == ["Reject this post? Its author will be told, with your reason."]
    moderator.reload()
    expect(held).to_be_visible()
