"""``GET /sandbox/posts``: what each creator would see in TikTok, their posts and their inbox.

One section per creator, in order of first use (nickname, ``@username``, public or private
account, banned), with
three lists, newest first: **Published** (Direct Posts that reached ``PUBLISH_COMPLETE``),
**Inbox** (shares that reached ``SEND_TO_USER_INBOX``, waiting for the creator) and **In
progress or failed** (everything else, with its status and ``fail_reason``). Statuses are
brought up to the sandbox clock first, as a ``status/fetch`` would. Every value is
HTML-escaped (titles come from apps), and the page has the security headers of every
sandbox page. ``Sandbox.posts`` gives the same records to programs.

Example:
    >>> from pytok_sm.sandbox._wire import Request
    >>> reply = posts_view(Context.default(), Request("GET", "/sandbox/posts", {}, {}))
    >>> reply.status, b"No creator has posted yet." in reply.body
    (200, True)
"""

from __future__ import annotations

from html import escape

from pytok_sm import _contract as contract

from . import _pages as pages
from ._context import Context
from ._creators import Creator
from ._posts import PostRecord, refresh_status
from ._wire import Reply, Request, html

__all__ = ["posts_page", "posts_view"]


def _item(post: PostRecord) -> str:
    what = f"{post.kind}, {post.source}"
    if post.kind == "photo":
        what += f", {len(post.photo_images)} image(s)"
    elif post.video_size is not None:
        what += f", {post.video_size} bytes"
    title = post.title or post.description or "(no title)"
    details = [f"<code>{escape(post.publish_id)}</code>", escape(what)]
    if post.privacy_level:
        details.append(escape(post.privacy_level))
    if not post.ended or post.status == contract.STATUS_FAILED:
        details.append(f'status <strong class="status">{escape(post.status)}</strong>')
    if post.fail_reason:
        details.append(f'fail_reason <code class="fail-reason">{escape(post.fail_reason)}</code>')
    if post.post_ids:
        details.append("post id " + ", ".join(escape(str(number)) for number in post.post_ids))
    return f'<li><span class="title">{escape(title)}</span><br><span class="muted">{"; ".join(details)}</span></li>'


def _listing(heading: str, list_id: str, posts: list[PostRecord]) -> str:
    items = "".join(_item(post) for post in posts) or '<li class="muted">none</li>'
    return f'<h3>{escape(heading)}</h3><ul id="{escape(list_id)}">{items}</ul>'


def _section(number: int, creator: Creator, posts: list[PostRecord]) -> str:
    published = [p for p in posts if p.mode == "direct" and p.status == contract.STATUS_PUBLISH_COMPLETE]
    inbox = [p for p in posts if p.mode == "inbox" and p.status == contract.STATUS_SEND_TO_USER_INBOX]
    others = [p for p in posts if p not in published and p not in inbox]
    account = "private account" if creator.private_account else "public account"
    if creator.banned:
        account += ", banned from posting"
    return (
        f'<section id="creator-{number}"><h2>{escape(creator.nickname)} '
        f'<span class="muted">@{escape(creator.username)}</span></h2>'
        f'<p class="muted">open_id <code>{escape(creator.open_id)}</code>; {escape(account)}</p>'
        + _listing("Published", f"published-{number}", published)
        + _listing("Inbox", f"inbox-{number}", inbox)
        + _listing("In progress or failed", f"other-{number}", others)
        + "</section>"
    )


def posts_page(creators: list[tuple[Creator, list[PostRecord]]]) -> str:
    """The page: one section per creator with posts (their posts newest first)."""
    sections = "".join(_section(number, c, posts) for number, (c, posts) in enumerate(creators, start=1))
    body = (
        "<h1>Posts and inboxes</h1>"
        '<p class="muted">What the Content Posting API delivered to each sandbox creator.</p>'
        + (sections or '<p id="message">No creator has posted yet.</p>')
        + '<p class="muted"><a href="/sandbox/posts">refresh</a> · '
        '<a href="/sandbox/pending">logins waiting for approval</a></p>'
    )
    return pages.document("Posts and inboxes | TikTok (sandbox)", body, attrs=' id="posts-page"')


def posts_view(ctx: Context, request: Request) -> Reply:
    """``GET /sandbox/posts``: the page, statuses read on the sandbox clock."""
    if request.method not in ("GET", "HEAD"):
        reply = html(pages.simple_page("Method not allowed", "The posts page is a GET."), 405)
        reply.set_header("Allow", "GET")
        return reply
    now = ctx.now()
    by_creator: dict[str, list[PostRecord]] = {}
    for post in sorted(ctx.posting.posts.values(), key=lambda p: p.created_at, reverse=True):
        refresh_status(post, ctx.switches, now=now)
        by_creator.setdefault(post.open_id, []).append(post)
    for open_id in by_creator:
        ctx.posting.creators.get(open_id, ctx.user)  # made on first use: every poster has one
    creators = [(c, by_creator[c.open_id]) for c in ctx.posting.creators.all() if c.open_id in by_creator]
    return html(posts_page(creators))
