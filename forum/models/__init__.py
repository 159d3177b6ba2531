"""Harbor's domain. Counts and "last post" are stored (denormalised) so that pages read
them in one query; the services that write keep them exact in the same transaction.

This package re-exports its parts, so the rest of Harbor writes ``models.Thread``.
"""

from .core import (
    AVATAR_COLOURS,
    FOREVER,
    Board,
    Post,
    PostRevision,
    PostState,
    Role,
    Thread,
    ThreadState,
    User,
    utcnow,
)
from .moderation import (
    REPORT_REASON_CHOICES,
    REPORT_REASON_LABELS,
    Case,
    CaseStatus,
    ModerationLog,
    Notification,
    Report,
    ReportReason,
    Resolution,
    Sanction,
    SanctionKind,
    StaffNote,
    WatchedWord,
    WordAction,
)
from .queries import (
    all_boards,
    board_by_slug,
    boards_for_index,
    case_by_id,
    cases_about,
    count_held_posts,
    count_open_cases,
    held_posts,
    log_entries,
    log_entries_for_post,
    member_by_username,
    notifications_for,
    open_cases,
    pending_warnings_for,
    post_with_thread,
    posts_by_member_for_staff,
    posts_for_thread,
    recent_posts_by,
    revisions_of,
    sanctions_of,
    staff_notes_about,
    thread_with_board,
    threads_for_board,
    watched_word_by_id,
    watched_words,
)
