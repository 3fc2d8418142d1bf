"""The one TikTok user who lives in the sandbox and approves (or denies) every login.

Example:
    >>> user = SandboxUser()
    >>> user.fields("http://127.0.0.1:1")["display_name"]
    'Sandbox Creator'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SandboxUser"]


@dataclass(frozen=True)
class SandboxUser:
    """A fixed profile answering every field of /v2/user/info/.

    Example:
        >>> SandboxUser(display_name="Other").username
        'sandbox.creator'
    """

    open_id: str = "-000sandboxOpenId0a1b2c3d4e5f6"
    union_id: str = "c9d8e7f6-0000-4000-8000-5a4db0c0ffee"
    display_name: str = "Sandbox Creator"
    username: str = "sandbox.creator"
    bio_description: str = "I live on 127.0.0.1 and approve every login. <b>not bold</b> & co."
    is_verified: bool = False
    follower_count: int = 1234
    following_count: int = 56
    likes_count: int = 78910
    video_count: int = 42

    def fields(self, base_url: str) -> dict[str, object]:
        """Every user-info field, avatar and profile URLs pointing at the sandbox."""
        return {
            "open_id": self.open_id,
            "union_id": self.union_id,
            "avatar_url": f"{base_url}/sandbox/avatar/720.jpeg",
            "avatar_url_100": f"{base_url}/sandbox/avatar/100.jpeg",
            "avatar_large_url": f"{base_url}/sandbox/avatar/1080.jpeg",
            "display_name": self.display_name,
            "bio_description": self.bio_description,
            "profile_deep_link": f"{base_url}/@{self.username}",
            "is_verified": self.is_verified,
            "username": self.username,
            "follower_count": self.follower_count,
            "following_count": self.following_count,
            "likes_count": self.likes_count,
            "video_count": self.video_count,
        }
