"""The password policy against Django 5.2's default validators (a test dependency; tasks/
never imports Django)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from functools import cache
from typing import Any

from tasks.passwords import common_passwords
from tests.conftest import PROJECT_ROOT


@cache
def django_validators() -> list[Any]:
    import django
    from django.conf import settings as django_settings
    from django.contrib.auth import password_validation as v

    if not django_settings.configured:
        django_settings.configure()
    django.setup()  # the validators' messages are translated, which needs the app registry
    return [v.UserAttributeSimilarityValidator(), v.MinimumLengthValidator(),
            v.CommonPasswordValidator(), v.NumericPasswordValidator()]


def test_the_shipped_list_is_djangos_whole_list() -> None:
    assert common_passwords() == django_validators()[2].passwords
    with (PROJECT_ROOT / "tasks/data/common-passwords.txt").open(encoding="utf-8") as lines:
        header = "".join(next(lines) for _ in range(3))
    assert "django/contrib/auth/common-passwords.txt.gz" in header and "BSD-3-Clause" in header


def test_the_list_is_read_on_first_use_only() -> None:
    probe = textwrap.dedent("""
        import sys
        opened = []
        sys.addaudithook(lambda event, args: opened.append(args) if event == "open"
                         and "common-passwords" in str(args[0]) else None)
        import tasks.cli, tasks.superuser, tasks.passwords
        print(len(opened))
        for _ in range(2):
            tasks.passwords.check_password_policy("a fine passphrase", username="u",
                                                  email="u@example.com")
        print(len(opened))
    """)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=PROJECT_ROOT, check=True, timeout=60)
    assert run.stdout.split() == ["0", "1"]
