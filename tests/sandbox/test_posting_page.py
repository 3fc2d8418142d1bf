"""/sandbox/posts: each creator's published posts and inbox, escaped, with the sandbox's headers;
and Sandbox.posts, the same records for programs."""

from __future__ import annotations

import copy
import re

import httpx

from pytok_sm.sandbox import Sandbox
from pytok_sm.sandbox._wire import HTML_HEADERS

from .test_posting_status import uploaded
from .test_posting_support import Poster, file_source, poster_fixture, video_bytes  # noqa: F401 - fixture

SCRIPT = "<script>alert('x')</script> & \"quotes\""


def page(http: httpx.Client) -> str:
    answer = http.get("/sandbox/posts")
    assert answer.status_code == 200
    for name, value in HTML_HEADERS:
        assert answer.headers[name] == value
    return answer.text


def test_an_empty_sandbox_says_so(http: httpx.Client) -> None:
    assert "No creator has posted yet." in page(http)


def test_published_posts_and_inboxes_per_creator(poster: Poster, sandbox: Sandbox, http: httpx.Client) -> None:
    published = uploaded(poster)
    inbox = poster.inbox(file_source(1000)).json()["data"]
    poster.put(inbox["upload_url"], video_bytes(1000), 0, 1000)
    pending = poster.started(1000)[0]
    other = Poster(sandbox, http, sandbox.issue_tokens(open_id="second-creator")["access_token"])
    sandbox.creator("second-creator").nickname = "Second <b>Creator</b>"
    other_id = other.direct({"source": "PULL_FROM_URL", "video_url": "https://media.example.com/a.mp4"}).json()
    sandbox.clock.advance(3)  # processing ends on the clock; the page reads it
    text = page(http)

    def listing(name: str) -> str:
        found = re.search(f'<ul id="{name}">(.*?)</ul>', text)
        assert found is not None, name
        return found.group(1)

    assert published in listing("published-1") and str(sandbox.posts[0].post_ids[0]) in listing("published-1")
    assert inbox["publish_id"] in listing("inbox-1") and published not in listing("inbox-1")
    assert pending in listing("other-1") and "PROCESSING_UPLOAD" in listing("other-1")
    assert other_id["data"]["publish_id"] in listing("published-2")  # SELF_ONLY pulls publish too
    assert listing("inbox-2") == '<li class="muted">none</li>'
    section = text[text.index('id="creator-2"') :]
    assert "Second &lt;b&gt;Creator&lt;/b&gt;" in section and "<b>Creator" not in text


def test_every_value_is_escaped(poster: Poster, sandbox: Sandbox, http: httpx.Client) -> None:
    publish_id, url = poster.started(1000, privacy="PUBLIC_TO_EVERYONE")
    sandbox.posts  # noqa: B018 - reading is harmless
    body = {"post_info": {"privacy_level": "SELF_ONLY", "title": SCRIPT}, "source_info": file_source(1000)}
    assert poster.call("/v2/post/publish/video/init/", body).status_code == 200
    sandbox.creator().username = "<img src=x onerror=alert(1)>"
    sandbox.switches.post_outcome = "fail"
    sandbox.switches.processing_seconds = 0
    poster.put(url, video_bytes(1000), 0, 1000)
    text = page(http)
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert 'class="fail-reason">internal<' in text and publish_id in text


def test_the_pending_page_links_to_it(http: httpx.Client) -> None:
    assert 'href="/sandbox/posts"' in http.get("/sandbox/pending").text


def test_only_get(http: httpx.Client) -> None:
    answer = http.post("/sandbox/posts")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"


def test_sandbox_posts_are_copies(poster: Poster, sandbox: Sandbox) -> None:
    publish_id = uploaded(poster)
    (post,) = sandbox.posts
    assert (post.publish_id, post.client_key, post.open_id) == (publish_id, sandbox.client_key, sandbox.user.open_id)
    assert (post.kind, post.mode, post.source, post.status) == ("video", "direct", "FILE_UPLOAD", "PROCESSING_UPLOAD")
    assert (post.video_size, post.chunk_size, post.total_chunk_count, post.uploaded_bytes) == (1000, 1000, 1, 1000)
    assert post.ranges == [(0, 999)] and post.sha256 is not None and post.created_at > 0
    post.title = "changed"
    post.ranges.append((1, 2))
    assert sandbox.posts[0].title == "" and sandbox.posts[0].ranges == [(0, 999)]
    assert copy.deepcopy(sandbox.posts) == sandbox.posts
