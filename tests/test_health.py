"""/healthz tells a load balancer whether the database answers."""

from __future__ import annotations

from eventapp import create_app
from eventapp.extensions import db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_while_the_database_does_not_answer():
    # Nothing listens on port 1 of this machine: the connection is refused at once.
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
