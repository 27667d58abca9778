"""The shared helpers of the JSON-API source kinds, as plain values."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest

from monitors.ingest.fetch import ContentError, FetchError
from monitors.ingest.sources._api import (
    ShapeError, answer_of, basic_auth, check_keys, env_name, epoch_time, iso_z, optional_text, parse_json, secret,
    secret_or_warning,
)

MOMENT = datetime(2026, 11, 6, 10, 0, 5, 123456, tzinfo=timezone.utc)


def test_blank_optional_text_counts_as_not_given_as_a_poll_reads_it():
    assert optional_text({"country": "  "}, "country", "us") == "us"
    assert optional_text({}, "tags") is None
    assert optional_text({"tags": " (story) "}, "tags") == "(story)"
    with pytest.raises(ValueError, match="params.tags: must be text"):
        optional_text({"tags": ["story"]}, "tags")


def test_params_checks_name_the_key():
    with pytest.raises(ValueError, match=r"params.querry: unknown setting \(this kind knows: query\)"):
        check_keys({"querry": "x"}, {"query"})
    with pytest.raises(ValueError, match="params.token_env: give the NAME"):
        env_name({"token_env": "ghp_abc 123"}, "token_env")
    assert env_name({"token_env": "GITHUB_TOKEN"}, "token_env") == "GITHUB_TOKEN"


def test_a_named_but_unset_secret_fails_or_warns_as_the_source_needs(monkeypatch):
    monkeypatch.setenv("SET_ONE", " s3cret ")
    monkeypatch.delenv("UNSET_ONE", raising=False)
    assert secret({"k": "SET_ONE"}, "k") == "s3cret" and secret({}, "k") is None
    with pytest.raises(FetchError, match="UNSET_ONE, which is not set") as caught:
        secret({"k": "UNSET_ONE"}, "k")
    assert caught.value.permanent
    assert secret_or_warning({"k": "SET_ONE"}, "k") == ("s3cret", None)
    value, warning = secret_or_warning({"k": "UNSET_ONE"}, "k")
    assert value is None and "UNSET_ONE" in warning


def test_iso_z_with_and_without_milliseconds():
    assert iso_z(MOMENT) == "2026-11-06T10:00:05Z"
    assert iso_z(MOMENT, milliseconds=True) == "2026-11-06T10:00:05.123Z"


def test_answers_that_are_not_json_or_not_the_documented_shape():
    with pytest.raises(ContentError, match="Acme sent an empty answer"):
        parse_json(b"  ", "Acme", 200)
    with pytest.raises(ContentError, match="not JSON \\(it starts '<html>'\\)"):
        parse_json(b"<html>", "Acme", 200)
    with pytest.raises(ContentError, match=r"unexpected format \(answer.at is not a usable time") as caught:
        with answer_of("Acme", 200):
            epoch_time(10**20, "answer.at")
    assert caught.value.permanent and caught.value.status == 200
    with pytest.raises(ShapeError):
        epoch_time(float("nan"), "x")


def test_basic_auth_header():
    header = basic_auth("client", "p:ss")["Authorization"]
    assert header.startswith("Basic ") and base64.b64decode(header[6:]) == b"client:p:ss"
