"""A pitch file shared in Slack, downloaded with the bot token: size checked before and during the download."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from service.config import Settings
from service.errors import BadInput
from slack_app.client import TIMEOUT_S, api_base_url

CHUNK = 64 * 1024


@dataclass(frozen=True)
class SharedFile:
    """A file's name and bytes, as downloaded."""

    name: str
    data: bytes


def max_bytes(settings: Settings) -> int:
    """The largest file accepted, from MAX_FILE_MB."""
    return settings.max_file_bytes


def too_big_message(name: str, size: int, settings: Settings) -> str:
    """What the user reads when a file is over the limit."""
    return (f"{name} is {size / (1024 * 1024):.1f} MB; the largest file I can read is {settings.max_file_mb:g} MB. "
            "Paste the pitch's text instead, or attach a smaller file.")


def _trusted(url: str, settings: Settings) -> bool:
    """Only Slack's own hosts (or the configured API host, for proxies and tests) ever see the bot token."""
    parts = urlsplit(url)
    api = urlsplit(api_base_url(settings))
    if parts.scheme == "https" and (parts.hostname or "").endswith(".slack.com"):
        return True
    return (parts.scheme, parts.hostname, parts.port) == (api.scheme, api.hostname, api.port)


def file_info(client: WebClient, file_id: str) -> dict[str, Any]:
    """files.info for one file (scope files:read)."""
    try:
        return dict(client.files_info(file=file_id).get("file") or {})
    except SlackApiError as exc:
        raise BadInput(f"Slack would not give me the file ({exc.response.get('error')}); try attaching it again.") from exc


def download_file(client: WebClient, settings: Settings, file_id: str) -> SharedFile:
    """The file's bytes, refused before download when Slack says it is too big, and cut off if it grows."""
    info = file_info(client, file_id)
    name = str(info.get("name") or info.get("title") or file_id)
    limit = max_bytes(settings)
    size = int(info.get("size") or 0)
    if size > limit:
        raise BadInput(too_big_message(name, size, settings))
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if not url or not _trusted(url, settings):
        raise BadInput(f"I cannot download {name} from where Slack keeps it; paste the pitch's text instead.")
    headers = {"Authorization": f"Bearer {client.token}"}
    # requests drops the Authorization header if a redirect leaves the host, so the token stays with Slack.
    with requests.get(url, headers=headers, stream=True, timeout=TIMEOUT_S) as response:
        if response.status_code != 200:
            raise BadInput(f"Slack refused the download of {name} ({response.status_code}); try attaching it again.")
        if response.headers.get("Content-Type", "").startswith("text/html"):
            # Slack answers a download without files:read with its sign-in page.
            raise BadInput(f"Slack did not let me read {name}: the app needs the files:read scope.")
        data = bytearray()
        for chunk in response.iter_content(CHUNK):
            data += chunk
            if len(data) > limit:
                raise BadInput(too_big_message(name, len(data), settings))
    return SharedFile(name=name, data=bytes(data))
