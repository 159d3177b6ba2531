// Harbor's small comforts. Every page works without this file: forms post, links lead,
// Preview keeps a draft and "Mark as read" is a button. This only saves steps.
// Loaded with `defer` from base.html; no inline scripts, so a strict CSP can forbid them.
"use strict";

(() => {
  const SAVE_AFTER_MS = 3000; // quiet time after the last keystroke before a draft is saved

  // A POST of our own: same-origin, with the form's CSRF token in the body. Redirects are
  // not followed, so a login page (an expired session) never counts as success.
  function send(url, body, keepalive = false) {
    return fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      redirect: "manual",
      keepalive,
      headers: { "X-Requested-With": "fetch" },
    });
  }

  function csrfToken(form) {
    const input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  // Drafts: what is typed in a reply or a new thread is kept as the member writes.
  function keepDrafts(form) {
    const status = form.querySelector("[data-draft-status]");
    const title = form.querySelector('[name="title"]');
    const body = form.querySelector('textarea[name="body"]');
    if (!body) return;
    let timer = null;
    let changed = false;

    function say(text) {
      if (status) status.textContent = text;
    }

    function save(keepalive = false) {
      clearTimeout(timer);
      timer = null;
      if (!changed) return;
      changed = false;
      const data = new FormData();
      data.append("csrf_token", csrfToken(form));
      if (form.dataset.draftThread) data.append("thread_id", form.dataset.draftThread);
      if (form.dataset.draftBoard) data.append("board_slug", form.dataset.draftBoard);
      if (title) data.append("title", title.value);
      data.append("body", body.value);
      send(form.dataset.draftUrl, data, keepalive)
        .then((response) => {
          say(response.status === 204 ? "Draft saved." : "Draft not saved.");
        })
        .catch(() => {
          changed = true; // offline for a moment: try again with the next change
          say("Draft not saved yet.");
        });
    }

    function typed() {
      changed = true;
      clearTimeout(timer);
      timer = setTimeout(save, SAVE_AFTER_MS);
    }

    form.addEventListener("input", typed);
    // Sending the form clears the draft on the server; a late autosave must not bring it back.
    form.addEventListener("submit", () => {
      clearTimeout(timer);
      changed = false;
    });
    window.addEventListener("pagehide", () => {
      if (changed) save(true);
    });
  }

  // Reading: tell the server how far this page was read, once it has actually been shown.
  function reportReading(form) {
    let sent = false;
    function report() {
      if (sent || document.visibilityState !== "visible") return;
      sent = true;
      send(form.action, new FormData(form), true)
        .then((response) => {
          if (response.status === 204) form.hidden = true;
        })
        .catch(() => {
          sent = false; // the button is still there, and the next showing tries again
        });
    }
    report();
    document.addEventListener("visibilitychange", report);
  }

  // Quote: put the quote into the reply box on this page instead of loading the page again.
  // ``who`` is how the page says to begin it (Post.quoted_as): "@rosa", or "A member" or
  // "A former member", which name nobody to notify.
  function quoteLines(who, text) {
    const lines = text.replace(/\r\n?/g, "\n").trim().split("\n");
    const quoted = lines.map((line) => (line ? `> ${line}` : ">")).join("\n");
    return `${who || "A member"} wrote:\n${quoted}\n\n`;
  }

  // Where the member left the cursor in the reply box, noted as they use it: selecting words
  // in a post elsewhere can reset the box's own selection. Until then, quotes go at the end.
  const caret = new WeakMap();
  function rememberCaret(box) {
    const note = () => caret.set(box, [box.selectionStart, box.selectionEnd]);
    for (const name of ["input", "keyup", "click", "select", "blur"]) {
      box.addEventListener(name, note);
    }
  }

  function insertAtCursor(box, text) {
    const [start, end] = caret.get(box) || [box.value.length, box.value.length];
    const before = box.value.slice(0, start);
    const gap = before && !before.endsWith("\n\n") ? (before.endsWith("\n") ? "\n" : "\n\n") : "";
    box.setRangeText(gap + text, start, end, "end");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
    box.scrollIntoView({ block: "center" });
  }

  function selectedTextIn(element) {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return "";
    const range = selection.getRangeAt(0);
    if (!element.contains(range.commonAncestorContainer)) return "";
    return selection.toString().trim();
  }

  function offerQuotes(box) {
    // Pressing a link can clear the selection before the click arrives: note it first.
    let held = { link: null, text: "" };
    document.addEventListener("pointerdown", (event) => {
      const link = event.target.closest("a[data-quote]");
      const words = link && link.closest("article.post")?.querySelector(".post-body");
      held = { link, text: words ? selectedTextIn(words) : "" };
    });
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-quote]");
      if (!link || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const words = link.closest("article.post")?.querySelector(".post-body");
      const who = link.dataset.quoteWho;
      const selected = (words && selectedTextIn(words)) || (held.link === link ? held.text : "");
      event.preventDefault();
      if (selected) {
        insertAtCursor(box, quoteLines(who, selected));
        return;
      }
      fetch(link.dataset.quote, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : Promise.reject(response)))
        .then((found) => insertAtCursor(box, found.text))
        .catch(() => {
          window.location.href = link.href; // the server fills the box instead
        });
    });
  }

  // What is hard to undo asks first. Without this file, the people who can do these things
  // (moderators, mostly) still see the button's plain, specific label.
  function askBeforeSending(event) {
    const question = event.submitter && event.submitter.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  }

  function start() {
    document.addEventListener("submit", askBeforeSending);
    document.querySelectorAll("form[data-draft-url]").forEach(keepDrafts);
    document.querySelectorAll("form[data-mark-read]").forEach(reportReading);
    const replyBox = document.querySelector('form#reply textarea[name="body"]');
    if (replyBox) {
      rememberCaret(replyBox);
      offerQuotes(replyBox);
    }
  }

  start();
})();
