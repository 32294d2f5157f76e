"""The marketplace service: a city's flexible-work (零工) market."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace import config as config_module
from marketplace.common.api import IdConverter
from marketplace.common.inputs import StrictJSONProvider, refuse_long_urls
from marketplace.common.schemas import decimal_string_property, nullable_nested_property
from marketplace.extensions import api, db, migrate

# migrations/ sits beside the package, so `flask db upgrade` works from any working directory.
MIGRATIONS_DIRECTORY = Path(__file__).resolve().parent.parent / "migrations"

API_SPEC_OPTIONS = {
    "info": {
        "description": (
            "零工市场 — the backend of a city's flexible-work market: shifts, bookings, "
            "attendance, pay and the subsidy audit.\n\n"
            "Send `Authorization: Bearer <token>` (from `POST /api/v1/auth/token`) on every "
            "operation that does not say `security: []`; `x-roles` names the roles that may "
            "call it. Every error answers `{code, status, message, errors?, request_id}`, "
            "`errors` holding field messages by location. Messages are Chinese unless the "
            "request prefers English (`Accept-Language: en`). Besides the statuses each "
            "operation lists, any request may be answered 414 (a URL over "
            "8,192 bytes), 500 (a failure, logged under `request_id`) or 503 (the database "
            "does not answer: send it again shortly)."
        ),
    },
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
    # Every operation needs a token unless it says `security: []`.
    "security": [{"bearerAuth": []}],
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then the environment, then ``config``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_module.load(Path(app.instance_path), config))
    app.config.setdefault("API_SPEC_OPTIONS", API_SPEC_OPTIONS)
    app.json = StrictJSONProvider(app)  # Chinese text stays Chinese; bodies are read strictly
    refuse_long_urls(app)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # The client address (the sign-in throttle counts by it) from X-Forwarded-For across
        # exactly the trusted proxies, never further. The scheme from the nearest proxy, which
        # sets X-Forwarded-Proto for the TLS it terminated, so request.is_secure holds behind it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=1)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIRECTORY), render_as_batch=True, compare_type=True
    )
    api.init_app(app)
    # Every `<int:…>` of the routes is an id: bounded, so that no path reaches the database with
    # a number it cannot bind. Set before the blueprints' rules are built.
    app.url_map.converters["int"] = IdConverter
    api.ma_plugin.converter.add_attribute_function(decimal_string_property)
    api.ma_plugin.converter.add_attribute_function(nullable_nested_property)

    from marketplace import cli, database, errors, i18n, models, observability
    from marketplace.audit.routes import blp as audit_blp
    from marketplace.auth.routes import blp as auth_blp
    from marketplace.auth.services import user_for_token
    from marketplace.bookings.routes import blp as bookings_blp
    from marketplace.brokers.routes import blp as brokers_blp
    from marketplace.cities.routes import blp as cities_blp
    from marketplace.common import guards, uploads
    from marketplace.desk import (  # noqa: F401 — pages
        case_routes,
        import_routes,
        login_routes,
        policy_routes,
        review_routes,
        routes,
        server_sessions,
    )
    from marketplace.desk.blueprint import blp as desk_blp
    from marketplace.desk.error_pages import install_error_pages
    from marketplace.disputes import cases  # noqa: F401 — settles the cases of resolved alerts
    from marketplace.disputes.routes import blp as disputes_blp
    from marketplace.earnings.routes import blp as earnings_blp
    from marketplace.employers.routes import blp as employers_blp
    from marketplace.jobs.routes import blp as jobs_blp
    from marketplace.matching.routes import blp as matching_blp
    from marketplace.privacy.routes import blp as privacy_blp
    from marketplace.stats.routes import blp as stats_blp
    from marketplace.subsidies import hooks  # noqa: F401 — subscribes the subsidy hooks
    from marketplace.subsidies.policy.routes import blp as policies_blp
    from marketplace.subsidies.routes import blp as subsidies_blp
    from marketplace.system.routes import blp as health_blp
    from marketplace.system.routes import register_docs_assets
    from marketplace.workers.routes import blp as workers_blp
    from marketplace.workers.routes import statuses_blp

    models.import_all()
    guards.init_app(app, user_for_token)
    database.init_app(app)
    observability.init_app(app)
    # After database.init_app: the desk's session is loaded once the request has declared whether
    # it writes, and written before the request's commit.
    server_sessions.init_app(app)
    # Last of the app's own: a refusal of a file too large then has the request's id and the
    # desk's session; still before the views (and a desk form's CSRF check) read the body.
    uploads.init_app(app)
    errors.register_error_handlers(app)
    i18n.init_app(app)
    for blueprint in (
        health_blp,
        cities_blp,
        auth_blp,
        workers_blp,
        statuses_blp,
        employers_blp,
        brokers_blp,
        jobs_blp,
        bookings_blp,
        matching_blp,
        earnings_blp,
        disputes_blp,
        subsidies_blp,
        policies_blp,
        stats_blp,
        audit_blp,
        privacy_blp,
    ):
        api.register_blueprint(blueprint)
    register_docs_assets(app)
    app.register_blueprint(desk_blp)  # HTML pages for officials: not part of the OpenAPI document
    install_error_pages(app)
    cli.register(app)
    return app
