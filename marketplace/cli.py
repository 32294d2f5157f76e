"""Command-line tools: ``flask --app wsgi users|seed ...``."""

from __future__ import annotations

import re

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from marketplace.auth import services as auth_services
from marketplace.auth.models import ROLES, User
from marketplace.auth.schemas import MAINLAND_MOBILE, MIN_PASSWORD_LENGTH
from marketplace.cities import catalogue
from marketplace.errors import DomainError
from marketplace.extensions import db

users = AppGroup("users", help="Manage accounts (officials and admins are made only here).")
seed = AppGroup("seed", help="Load demo or synthetic data.")


@users.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--phone", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--city", type=click.Choice(catalogue.codes()), help="Required for officials.")
def create_user(role: str, phone: str, password: str, city: str | None) -> None:
    """Create an account of any role."""
    if not re.fullmatch(MAINLAND_MOBILE, phone):
        raise click.BadParameter("must be a mainland mobile number", param_hint="--phone")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"must be at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    try:
        user = auth_services.create_user(phone, password, role, city)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(
            error.message + (f" {error.errors}" if error.errors else "")
        ) from None
    click.echo(f"created {user.role} {user.phone} (id {user.id})")


@users.command("revoke-tokens")
@click.option("--phone", required=True)
def revoke_tokens(phone: str) -> None:
    """Revoke every live access token of an account at once."""
    user = db.session.scalar(select(User).where(User.phone == phone))
    if user is None:
        raise click.ClickException(f"no account with phone {phone}")
    count = auth_services.revoke_all_tokens(user)
    db.session.commit()
    click.echo(f"revoked {count} token(s) of {phone}")


@seed.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo(if_empty: bool) -> None:
    """Load the small hand-written demo data set for both cities."""
    from seeds import demo

    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("database not empty: demo data not loaded")
        return
    summary = demo.load()
    db.session.commit()
    click.echo("demo data loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))


def register(app: Flask) -> None:
    """Add the command groups to ``app``."""
    app.cli.add_command(users)
    app.cli.add_command(seed)
