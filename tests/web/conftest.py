"""Pages over the same seeded world as the API tests."""

from tests.api.conftest import app, app_settings, client, make_app, world  # noqa: F401
