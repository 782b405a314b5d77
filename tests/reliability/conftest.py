"""The launcher's moto fixtures, shared with the launcher fault and property tests here."""

from tests.launcher.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    clock,
    fake_credentials,
    launch,
    mocked_network,
    world,
)
