"""Ids beyond what the database holds are a 404 on every route that takes one, never a server error."""

import pytest

from tests.api.conftest import error_of

HUGE = [2**31, 2**63, 10**30]


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize("path", ["/api/v1/sources/{}", "/api/v1/rehearsals/{}", "/api/v1/jobs/{}"])
def test_out_of_range_ids_are_not_found(client, world, path, number):
    response = client.get(path.format(number), headers=world.people["admin"].headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_the_largest_id_still_reaches_the_view(client, world):
    response = client.get(f"/api/v1/sources/{2**31 - 1}", headers=world.people["admin"].headers)
    assert response.status_code == 404
    assert "source" in error_of(response)["message"]


@pytest.mark.parametrize("number", HUGE)
def test_an_audit_cursor_beyond_any_id_is_refused_clearly(client, world, number):
    response = client.get(f"/api/v1/audit?before_id={number}", headers=world.people["admin"].headers)
    assert response.status_code == 400, response.get_json()
    assert error_of(response)["code"] == "bad_input" and "before_id" in str(response.get_json())
