"""Configuration: defaults, environment overrides, and one clear sentence for each mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEV_SECRET, PROJECT_ROOT, ConfigError, load_settings

BASE = (PROJECT_ROOT / "config.yml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text)
    return path


def test_defaults_from_shipped_config() -> None:
    settings = load_settings(PROJECT_ROOT / "config.yml", {})
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/teman_migran.db")
    assert settings.port == 8000
    assert settings.nlu.mode == "managed"
    assert settings.telegram.mode is None and not settings.whatsapp.enabled
    assert settings.secret_key == DEV_SECRET
    # Verified numbers ship; unknown ones are placeholders the bot must omit.
    assert settings.contacts["police"].value == "110"
    assert settings.contacts["kanwil_hotline"].value is None
    assert "kanwil_hotline" in settings.unset_contacts()


def test_environment_overrides() -> None:
    settings = load_settings(
        PROJECT_ROOT / "config.yml",
        {
            "DATABASE_URL": "postgresql://u@h/db",
            "PORT": "9001",
            "PUBLIC_URL": "https://bot.example.org/",
            "TELEGRAM_BOT_TOKEN": "123:fake",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret",
            "NLU_URL": "http://rasa:5005/",
            "NLU_TOKEN": "tok",
            "TWILIO_ACCOUNT_SID": "ACfake",
            "TWILIO_AUTH_TOKEN": "fake",
            "TWILIO_WHATSAPP_FROM": "whatsapp:+10000000000",
        },
    )
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.port == 9001
    assert settings.public_url == "https://bot.example.org"
    assert settings.telegram.mode == "webhook"  # a token and a PUBLIC_URL mean webhook
    assert settings.nlu.mode == "remote" and settings.nlu.url == "http://rasa:5005"
    assert settings.whatsapp.enabled


def test_polling_without_public_url() -> None:
    settings = load_settings(PROJECT_ROOT / "config.yml", {"TELEGRAM_BOT_TOKEN": "123:fake"})
    assert settings.telegram.mode == "polling"


@pytest.mark.parametrize(
    ("edit", "env", "message"),
    [
        (("port: 8000", "port: eighty"), {}, "config key 'web.port' must be a number"),
        (("confidence_threshold: 0.55", "confidence_threshold: 7"), {}, "'nlu.confidence_threshold' must be between 0 and 1"),
        (("mode: managed", "mode: somewhere"), {}, "'nlu.mode' must be one of managed, remote"),
        (("max_attempts: 8", "max_attempts: 0"), {}, "'outbox.max_attempts' must be at least 1"),
        (("environment: development", "environment: production"), {}, "SECRET_KEY must be set"),
        (("default_language: id", "default_language: fr"), {}, "'default_language' must be one of id, en"),
        (None, {"PORT": "http"}, "PORT must be a port number"),
        (None, {"TWILIO_WHATSAPP_FROM": "+6281"}, "TWILIO_WHATSAPP_FROM must look like whatsapp:+62"),
        (None, {"TELEGRAM_BOT_TOKEN": "1:x", "PUBLIC_URL": "https://x.org"}, "TELEGRAM_WEBHOOK_SECRET must be set"),
        (("mode: managed", "mode: remote"), {}, "NLU_URL is not set"),
    ],
)
def test_invalid_configuration_names_the_key(tmp_path: Path, edit, env, message) -> None:
    text = BASE.replace(*edit, 1) if edit else BASE
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env)
    assert message in str(info.value)


def test_placeholder_secret_refused_in_production(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("environment: development", "environment: production"))
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(path, {"SECRET_KEY": "changeme"})
    assert load_settings(path, {"SECRET_KEY": "a-long-random-value-0123456789"}).environment == "production"


def test_broken_yaml_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_settings(write(tmp_path, "web:\n  port: [8000\n"), {})


def test_cli_exits_2_with_one_sentence_on_bad_config(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("port: 8000", "port: -3"))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "TEMAN_CONFIG": str(path), "TEMAN_VAR_DIR": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: config key 'web.port' must be at least 1, got -3."
