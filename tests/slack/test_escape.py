"""Nothing a user types or a source says can ping @channel, mention someone or forge a link in Slack."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from slack_app.escape import BROADCAST_RE, WORD_JOINER, escape, fit, quoted, text_from_slack
from tests.slack.conftest import SlackDriver
from tests.slack.fake_slack import FakeSlack

FORGERIES = ("<!channel>", "<!here>", "<!everyone>", "<@U0EVIL>", "<http://evil.example|click", "<#C123>")


def test_slack_markup_comes_out_as_text() -> None:
    assert escape("<!channel> hi") == "&lt;!channel&gt; hi"
    assert escape("<http://evil.example|click here>") == "&lt;http://evil.example|click here&gt;"
    assert escape("<@U123> & <#C1|general>") == "&lt;@U123&gt; &amp; &lt;#C1|general&gt;"
    assert escape("tell @channel and @Here") == f"tell @{WORD_JOINER}channel and @{WORD_JOINER}Here"
    assert escape("mail me@channel.example") == "mail me@channel.example"


def test_slack_wire_text_becomes_what_was_typed() -> None:
    assert text_from_slack("<!channel> see <http://evil.example|click> &amp; ask <@U123|lee> in <#C1|general>") == (
        "@channel see click & ask @lee in #general")
    assert text_from_slack("&lt;!here&gt; is typed, <!subteam^S1|@leads> is a group, <https://x.example>") == (
        "<!here> is typed, @leads is a group, https://x.example")
    assert escape(text_from_slack("&lt;!channel&gt; <!channel>")) == f"&lt;!channel&gt; @{WORD_JOINER}channel"


@given(st.text(alphabet=st.sampled_from(list("<>&@!|abc hrelnt")), max_size=300), st.integers(5, 400))
def test_fitted_text_is_escaped_and_within_its_limit(text: str, limit: int) -> None:
    out = fit(text, limit)
    assert len(out) <= limit
    assert "<" not in out and ">" not in out
    assert BROADCAST_RE.search(out) is None
    assert quoted(text, limit).startswith("> ") and len(quoted(text, limit)) <= limit


def test_planted_markup_in_a_question_and_a_source_never_reaches_slack_raw(
        slack: SlackDriver, fake_slack: FakeSlack) -> None:
    question = ("<!channel> <http://evil.example|click> <@U0EVIL> @here what is the first line of every plan "
                "we approve for drivers home safe?")
    slack.command("/twin", question)
    slack.mention(question, ts="1700001000.000100")
    slack.dm(question, ts="1700001001.000100")
    posts = fake_slack.wait_posts(3)
    for post in posts:
        dumped = post.dumped
        assert "first line of every plan we approve" in dumped  # the planted source was quoted
        for forgery in FORGERIES:
            assert forgery not in dumped, (forgery, post.via)
        assert "&lt;!channel&gt;" in dumped
        assert "@here" not in dumped
        assert "Home &lt;b&gt;safe&lt;/b&gt; &amp; sound" in dumped  # the source's title, escaped
        assert all(t.get("verbatim") is True for b in post.blocks for t in _texts(b) if t["type"] == "mrkdwn")
        assert post.raw.get("unfurl_links") in (False, None) and post.raw.get("unfurl_media") in (False, None)
    assert any(p.via == "response_url" for p in posts) and any(p.public for p in posts)


def _texts(block: dict) -> list[dict]:
    if block.get("type") == "section":
        return [block["text"]]
    if block.get("type") == "context":
        return list(block["elements"])
    return []
