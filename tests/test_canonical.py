"""Canonical URLs, story fingerprints of cross-posts, and exact edit hashes."""

import random
from urllib.parse import quote, urlsplit

import pytest

from monitors.ingest.canonical import (TRACKING_PARAMS, _split, canonical_url, content_fingerprint, edit_hash,
                                unwrap_redirect)
from monitors.ingest.query import tokenize

# --- canonical_url ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTPS://Acme.COM/Path", "https://acme.com/Path"),  # the path keeps its case
        ("https://www.acme.com/a", "https://acme.com/a"),
        ("https://www.com/", "https://www.com/"),  # www is the whole name here
        ("https://acme.com:443/a", "https://acme.com/a"),
        ("http://acme.com:80/a", "http://acme.com/a"),
        ("http://acme.com:8080/a", "http://acme.com:8080/a"),
        ("https://acme.com", "https://acme.com/"),
        ("https://acme.com/", "https://acme.com/"),
        ("https://acme.com/blog/", "https://acme.com/blog"),
        ("https://acme.com/a/./b/../c", "https://acme.com/a/c"),
        ("https://acme.com/a#comments", "https://acme.com/a"),
        ("https://twitter.com/#!/acme/status/1", "https://twitter.com/#!/acme/status/1"),
        ("https://bob:secret@acme.com/a", "https://acme.com/a"),
        ("https://acme.com./a", "https://acme.com/a"),
        ("https://acme.com/%7euser/%2f%c3%a9", "https://acme.com/~user/%2F%C3%A9"),
        ("https://acme.com/caf\u00e9 menu", "https://acme.com/caf%C3%A9%20menu"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("  https://acme.com/a  ", "https://acme.com/a"),
    ],
)
def test_canonical_url_normalises_the_parts(url, expected):
    assert canonical_url(url) == expected


def test_tracking_params_go_and_the_rest_are_sorted():
    url = (
        "https://acme.com/p?utm_source=tw&utm_Medium=social&id=5&fbclid=x&gclid=y&mc_cid=1&mc_eid=2"
        "&ref=hn&ref_src=twsrc&igshid=z&si=s&spm=a.b&yclid=1&_hsenc=p&_hsmi=9&mkt_tok=t&b=2&a=1"
    )
    assert canonical_url(url) == "https://acme.com/p?a=1&b=2&id=5"
    for name in ("utm_campaign", *sorted(TRACKING_PARAMS)):
        assert canonical_url(f"https://acme.com/p?{name}=1&keep=1") == "https://acme.com/p?keep=1", name


def test_query_values_keep_their_encoding_and_repeats():
    assert canonical_url("https://acme.com/s?q=a+b&q=c%20d&flag") == "https://acme.com/s?flag&q=a+b&q=c%20d"
    assert canonical_url("https://acme.com/s?&&x=1&") == "https://acme.com/s?x=1"


def test_site_specific_tracking_params():
    assert canonical_url("https://twitter.com/acme/status/1?s=20&t=abc") == "https://twitter.com/acme/status/1"
    assert canonical_url("https://mobile.twitter.com/acme/status/1?s=20") == "https://mobile.twitter.com/acme/status/1"
    # elsewhere t is meaningful (a YouTube start time), feature is not
    youtube = "https://www.youtube.com/watch?v=abc&t=42&feature=share"
    assert canonical_url(youtube) == "https://youtube.com/watch?t=42&v=abc"
    assert canonical_url("https://acme.com/page?s=2") == "https://acme.com/page?s=2"
    # a host whose name merely ends like the site's is another site; one further under it is the site
    assert canonical_url("https://fox.com/page?s=2&t=1") == "https://fox.com/page?s=2&t=1"
    assert canonical_url("https://notx.com/page?s=2") == "https://notx.com/page?s=2"
    assert canonical_url("https://a.b.x.com/p?s=2&v=1") == "https://a.b.x.com/p?v=1"


def test_idn_hosts_are_written_in_ascii():
    assert canonical_url("https://bücher.de/a") == "https://xn--bcher-kva.de/a"
    assert canonical_url("https://BÜCHER.de/a") == "https://xn--bcher-kva.de/a"
    assert canonical_url("https://xn--bcher-kva.de/a") == "https://xn--bcher-kva.de/a"


def test_google_and_google_alerts_redirects_are_unwrapped():
    real = "https://www.acme.com/news?utm_medium=email&id=5"
    alert = f"https://www.google.com/url?rct=j&sa=t&url={quote(real, safe='')}&ct=ga&cd=CAIyG&usg=AOvVaw"
    assert canonical_url(alert) == "https://acme.com/news?id=5"
    assert canonical_url(f"https://www.google.co.uk/url?q={quote(real, safe='')}&sa=U") == "https://acme.com/news?id=5"


@pytest.mark.parametrize(
    "wrapper",
    [
        "https://l.facebook.com/l.php?u={}&h=AT0x",
        "https://www.facebook.com/l.php?u={}",
        "https://l.instagram.com/?u={}&e=AT1",
        "https://www.youtube.com/redirect?event=video_description&q={}",
        "https://slack-redir.net/link?url={}",
        "https://out.reddit.com/t3_abc?url={}&token=x",
        "https://www.linkedin.com/redir/redirect?url={}",
        "https://duckduckgo.com/l/?uddg={}",
    ],
)
def test_link_shims_are_unwrapped(wrapper):
    target = "https://Acme.com/story/?fbclid=zz"
    assert canonical_url(wrapper.format(quote(target, safe=""))) == "https://acme.com/story"
    # the host spelled otherwise: in capitals, with a port, with user info
    scheme, _, rest = wrapper.partition("://")
    host, slash, path = rest.partition("/")
    for other in (host.upper(), f"{host}:443", f"someone@{host}"):
        assert canonical_url(f"{scheme}://{other}{slash}{path}".format(quote(target, safe=""))) == \
            "https://acme.com/story"


def test_nested_wrappers_unwrap_and_unusable_targets_keep_the_wrapper():
    inner = "https://l.facebook.com/l.php?u=" + quote("https://acme.com/x", safe="")
    assert canonical_url("https://www.google.com/url?q=" + quote(inner, safe="")) == "https://acme.com/x"
    for kept in ("https://google.com/url?q=javascript:alert(1)", "https://google.com/search?q=https://acme.com"):
        assert canonical_url(kept) == kept


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.google.com/url?rct=j&sa=t&url=https://a.example/x%3Fy%3D1&ct=ga", "https://a.example/x?y=1"),
        ("https://google.co.uk/url?q=https://b.example/", "https://b.example/"),
        ("https://www.google.com/url?q=" + quote("https://l.facebook.com/l.php?u=https%3A%2F%2Fc.example%2F", safe=""),
         "https://c.example/"),  # nested
        ("https://www.google.com/url?url=javascript:alert(1)", "https://www.google.com/url?url=javascript:alert(1)"),
        ("https://evil.example/url?url=https://a.example/", "https://evil.example/url?url=https://a.example/"),
        ("https://news.google.com/rss/articles/CBMi?oc=5", "https://news.google.com/rss/articles/CBMi?oc=5"),
        ("https://Acme.com/A/?utm_source=x", "https://Acme.com/A/?utm_source=x"),  # not canonicalised
        ("https://www.google.com/url?q=https://[::1", "https://www.google.com/url?q=https://[::1"),
        ("not a url", "not a url"),
    ],
)  # fmt: skip
def test_unwrap_redirect_gives_the_target_and_leaves_everything_else(url, expected):
    assert unwrap_redirect(url) == expected


def test_shorteners_cannot_be_unwrapped_offline():
    assert canonical_url("https://t.co/AbC123") == "https://t.co/AbC123"


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "not a url", "acme.com/path", "mailto:help@acme.com", "javascript:alert(1)", "http://", "http://[::1",
     "http://acme.com:port/", "https://\u00fc..de/", "ftp://acme.com/file", "https://" + "\u00fc" * 70 + ".de/"],
)  # fmt: skip
def test_garbage_comes_back_stripped(garbage):
    assert canonical_url(f"  {garbage}\n") == garbage.strip()


def test_plain_urls_are_split_as_urlsplit_splits_them():
    """canonical._split reads plain URLs itself; on every URL it must agree with urlsplit."""
    pieces = {
        "scheme": ["http", "https", "HTTPS", "ftp", "http:", ""],
        "sep": ["://", ":/", "//", ":///"],
        "host": ["acme.com", "www.Acme.co.uk", "a-b.example", "acme.com:8080", "u:p@acme.com", "[::1]", "bücher.de",
                 "", "ac me.com", "acme.com.", "-.-"],
        "path": ["", "/", "/a/b", "/a%20b", "/a b", "/é", "/a;p", "/a:b@c", "/%", "/\t/", "/a\nb", "/ü?"],
        "query": ["", "?", "?a=1&b=2", "?q=a?b", "?a=%3F#x", "?é=1", "?a b"],
        "fragment": ["", "#", "#top", "#!/route", "#a#b", "#é"],
    }
    rng = random.Random(7)
    for _ in range(5000):
        url = "".join(rng.choice(options) for options in pieces.values())
        if rng.random() < 0.1:
            url = rng.choice(["", " ", "\x00", "\t"]) + url + rng.choice(["", " ", "\r\n"])
        assert _split(url) == urlsplit(url), url


def test_canonical_url_is_idempotent():
    for url in ("HTTPS://WWW.Acme.COM:443/a/./b/../c/?utm_source=x&b=2&a=1#top", "https://bücher.de/café?q=ü"):
        once = canonical_url(url)
        assert canonical_url(once) == once


# --- content_fingerprint ------------------------------------------------------------------------------------


@pytest.mark.parametrize("title, text", [
    ("Acme outage", "Acme is down for everyone, again."),
    (None, "RT @sam: Acme is down for everyone"),
    ("", "Acme is down https://status.acme.com/x for everyone"),
    ("Acme", "Acme is down (via @sam@mastodon.example)"),
    ("Acme down", "see www.acme.com: @acme is down for everyone"),
    ("RT @x: Acme down", "Acme is down for everyone, café closed too"),
])  # fmt: skip
def test_a_fingerprint_from_the_callers_tokens_is_the_same(title, text):
    """Ingest hands over the tokens it matched brands with; they stand in only where nothing is dropped."""
    given = content_fingerprint(title, text, title_tokens=tokenize(title or ""), text_tokens=tokenize(text))
    assert given == content_fingerprint(title, text)


def test_cross_posts_share_a_fingerprint():
    original = content_fingerprint(None, "Acme lost my parcel AGAIN. Third time this month! #fail https://t.co/x1")
    for copy in (
        "RT @bob: Acme lost my parcel again - third time this month #fail",
        "Acme lost my parcel again. Third time this month! #fail (via @bob)",
        "acme lost my parcel again third time this month fail https://bsky.app/post/9 via @bob@mastodon.social",
        "@AcmeHelp Acme lost my parcel again... third time this month!! #Fail",
        "Acme lost my parcel again\u2014third time this month! #fail https://acme.com/help",
    ):
        assert content_fingerprint(None, copy) == original, copy


def test_the_same_post_with_title_and_body_in_two_places():
    a = content_fingerprint("Acme refund nightmare", "Ordered in May, still no refund. Anyone else?")
    b = content_fingerprint("Acme Refund Nightmare!", "Ordered in May - still no refund. Anyone else? http://x.y/z")
    assert a == b
    assert a != content_fingerprint(None, "Ordered in May, still no refund. Anyone else?")


def test_a_title_that_repeats_the_text_counts_once():
    text = "Acme's new app keeps crashing on login, please fix"
    assert content_fingerprint("Acme's new app keeps crashing on login...", text) == content_fingerprint(None, text)
    assert content_fingerprint(text, "") == content_fingerprint(None, text)


def test_different_words_make_different_fingerprints():
    base = content_fingerprint(None, "Acme lost my parcel again")
    assert content_fingerprint(None, "Acme lost my package again") != base
    assert content_fingerprint(None, "Acme lost my parcel") != base
    assert content_fingerprint(None, "again Acme lost my parcel") != base


def test_fingerprint_shape_and_empty_content():
    fingerprint = content_fingerprint(None, "Acme lost my parcel")
    assert len(fingerprint) == 40 and int(fingerprint, 16) >= 0
    assert content_fingerprint(None, "") == ""
    assert content_fingerprint(None, "  😡😡 !!! @bob ") == ""


def test_link_only_posts_are_keyed_by_their_canonical_links():
    a = content_fingerprint(None, "https://www.acme.com/recall?utm_source=tw")
    assert a == content_fingerprint(None, "https://acme.com/recall/?fbclid=1 \U0001F440")
    assert a != content_fingerprint(None, "https://acme.com/other")
    assert a != ""


def test_accents_and_case_do_not_split_a_story():
    accented = content_fingerprint(None, "Le Café d'Acme est fermé")
    assert accented == content_fingerprint(None, "le cafe d acme est ferme")


# --- edit_hash ------------------------------------------------------------------------------------------------


def test_edit_hash_sees_any_edit_but_not_reflowed_whitespace():
    base = edit_hash("Acme", "Lost my parcel.")
    assert edit_hash("Acme", "Lost my parcel.") == base
    assert edit_hash(" Acme", "Lost  my\nparcel. \n") == base
    assert edit_hash("Acme", "Lost my parcel!") != base
    assert edit_hash("Acme", "lost my parcel.") != base
    assert edit_hash(None, "Lost my parcel.") != base


def test_edit_hash_keeps_title_and_text_apart():
    assert edit_hash("a b", "") != edit_hash("a", "b")
    assert edit_hash(None, "x") == edit_hash("", "x")
    assert edit_hash("caf\u00e9", "x") == edit_hash("cafe\u0301", "x")  # same text, other Unicode composition
