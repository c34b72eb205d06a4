from tests.api.conftest import app, app_settings, client, make_app, world  # noqa: F401

def test_big(client, world):
    h = world.people["employee"].headers
    a = world.people["admin"].headers
    big = 10**20
    for m, p, b in (("get", f"/api/v1/rehearsals/{big}", None), ("post", f"/api/v1/rehearsals/{big}/turns", {"reply": "x"}), ("get", f"/api/v1/rehearsals/{2**63-1}", None),
                    ("get", f"/api/v1/sources/{big}", None), ("post", f"/api/v1/interactions/{big}/feedback", {"helpful": True}),
                    ("get", f"/api/v1/jobs/{big}", None)):
        r = getattr(client, m)(p, json=b, headers=a)
        print(m, p, r.status_code)
