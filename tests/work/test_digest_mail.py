"""Digest e-mail (SPEC §3 "daily digest by e-mail", issue 10): every active user with an address gets
one from run_periodic, nobody without; demo staff have addresses; the embedded default writes files."""

import runpy
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

import rmdesk.settings as project_settings
from rmdesk.org import demo as org_demo
from rmdesk.org.models import User

pytestmark = pytest.mark.django_db


def test_run_periodic_mails_every_user_with_an_address_once(world, make_customer, tiers, local_dt):
    make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1), name="逾期客户甲")
    with_mail = [world.rm, world.rm2, world.lead, world.manager]  # rm has items, the others a quiet day
    for u in with_mail:
        u.email = f"{u.username}@bank.example"
        u.save()
    User.objects.filter(pk=world.rm_b.pk).update(email="rm_b@bank.example", is_active=False)
    mail.outbox.clear()
    out = StringIO()
    call_command("run_periodic", "--only", "cadence,digest", stdout=out)
    assert f"digest: {len(with_mail)}" in out.getvalue()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(u.email for u in with_mail)
    by_to = {m.to[0]: m for m in mail.outbox}
    assert "逾期客户甲" in by_to["rm@bank.example"].body
    assert "今日没有需要处理的事项" in by_to["manager@bank.example"].body
    assert "今日没有需要处理的事项" not in by_to["rm@bank.example"].body


def test_demo_staff_have_addresses_and_receive_the_digest(make_demo_ctx):
    org_demo.build(make_demo_ctx())
    users = User.objects.filter(is_active=True)
    assert users.count() > 10
    assert not users.filter(email="").exists()
    assert User.objects.get(username="rm_senior").email == "rm_senior@demo.rmdesk.invalid"
    mail.outbox.clear()
    call_command("run_periodic", "--only", "digest", stdout=StringIO())
    assert sorted(m.to[0] for m in mail.outbox) == sorted(users.values_list("email", flat=True))


def test_demo_rebuild_backfills_missing_addresses(make_demo_ctx):
    org_demo.build(make_demo_ctx())
    User.objects.filter(username__in=["rm_mid", "teamlead"]).update(email="")
    User.objects.filter(username="rm_junior").update(email="own@bank.example")
    org_demo.build(make_demo_ctx())
    emails = dict(User.objects.values_list("username", "email"))
    assert emails["rm_mid"] == "rm_mid@demo.rmdesk.invalid" and emails["teamlead"] == "teamlead@demo.rmdesk.invalid"
    assert emails["rm_junior"] == "own@bank.example"


def _settings_with(monkeypatch, **env):
    for key in ("RMDESK_EMAIL_BACKEND", "RMDESK_EMAIL_HOST", "RMDESK_EMAIL_FILE_PATH"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(project_settings.__file__)


def test_embedded_default_writes_mail_files_to_var_mail(monkeypatch):
    conf = _settings_with(monkeypatch)
    assert conf["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert Path(conf["EMAIL_FILE_PATH"]) == Path(conf["VAR_DIR"]) / "mail"
    conf = _settings_with(monkeypatch, RMDESK_EMAIL_FILE_PATH="/tmp/rmdesk-mail")
    assert Path(conf["EMAIL_FILE_PATH"]) == Path("/tmp/rmdesk-mail")


def test_smtp_when_a_host_is_configured(monkeypatch):
    conf = _settings_with(monkeypatch, RMDESK_EMAIL_HOST="smtp.bank.example")
    assert conf["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert conf["EMAIL_HOST"] == "smtp.bank.example"
    conf = _settings_with(
        monkeypatch,
        RMDESK_EMAIL_HOST="smtp.bank.example",
        RMDESK_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    assert conf["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_run_periodic_writes_the_mails_the_file_backend_keeps(make_demo_ctx, tmp_path, settings):
    """The embedded default's backend: one file message per demo user in the mail folder."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    org_demo.build(make_demo_ctx())
    call_command("run_periodic", "--only", "digest", stdout=StringIO())
    text = "".join(p.read_text() for p in (tmp_path / "mail").iterdir())
    users = User.objects.filter(is_active=True)
    assert text.count("Subject: ") == users.count()
    for email in users.values_list("email", flat=True):
        assert f"To: {email}" in text
