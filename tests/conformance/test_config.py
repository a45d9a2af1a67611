"""Configuration precedence: flags, then environment, then the config file."""

import pytest

from conformance.config import resolve
from conformance.errors import ConfigurationError

ENV = {"CHAT_API_BASE_URL": "http://env", "CHAT_API_TOKEN": "t1", "CHAT_API_TOKEN_2": "t2"}


def test_flags_win_over_environment_and_file(tmp_path):
    file = tmp_path / "chat-contract.toml"
    file.write_text('base_url = "http://file"\nprofile = "deep"\nskip = ["shares"]\n')
    config = resolve({"base_url": "http://flag"}, ENV, str(file))
    assert (config.base_url, config.profile, config.skip) == ("http://flag", "deep", frozenset({"shares"}))


def test_environment_wins_over_file(tmp_path):
    file = tmp_path / "chat-contract.yaml"
    file.write_text("base_url: http://file\ntoken: from-file\n")
    config = resolve({}, ENV, str(file))
    assert (config.base_url, config.token) == ("http://env", "t1")


def test_missing_base_url_says_what_to_set():
    with pytest.raises(ConfigurationError, match="--base-url"):
        resolve({}, {"CHAT_API_TOKEN": "a", "CHAT_API_TOKEN_2": "b"})


def test_missing_second_user_says_what_to_set():
    with pytest.raises(ConfigurationError, match="second test user"):
        resolve({"base_url": "http://x", "token": "a"}, {})


def test_unknown_file_setting_is_refused(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text('base_uri = "http://typo"\n')
    with pytest.raises(ConfigurationError, match="base_uri"):
        resolve({}, ENV, str(file))


def test_unreachable_url_exits_2(capsys):
    from conformance.cli import main

    assert main(["--base-url", "http://127.0.0.1:9", "--username", "a", "--password", "b",
                 "--username-2", "c", "--password-2", "d"]) == 2
    assert "--base-url" in capsys.readouterr().err
