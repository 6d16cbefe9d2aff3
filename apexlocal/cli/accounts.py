"""Admin commands: users, keys and credits, straight on the database (works beside a running server)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import click

from apexlocal.cli.options import with_settings
from apexlocal.db.database import Database
from apexlocal.errors import ApiError
from apexlocal.settings import Settings


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    from apexlocal.db.migrations import migrate

    db = Database(settings.db_path)
    try:
        migrate(db)
        yield db
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.close()


@click.group("users")
def users_group() -> None:
    """Create and list users, set their plan, sign them in or out of the studio."""


@users_group.command("create")
@click.argument("email")
@click.option("--plan", default="free", show_default=True, help="free, creator, pro or enterprise.")
@click.option("--credits", "initial", type=int, default=0, show_default=True, help="Credits to grant.")
@click.option("--admin", is_flag=True, help="Make the user an admin.")
@with_settings
def users_create(settings: Settings, email: str, plan: str, initial: int, admin: bool) -> None:
    from apexlocal.accounts.users import create_user

    with _database(settings) as db:
        user = create_user(db, email, plan, settings.plans, initial, admin)
    click.echo(f"{user.id}  {user.email}  plan={user.plan}  credits={user.credits}")


@users_group.command("list")
@with_settings
def users_list(settings: Settings) -> None:
    from apexlocal.accounts.users import list_users

    with _database(settings) as db:
        for u in list_users(db):
            admin = " admin" if u.is_admin else ""
            click.echo(f"{u.id}  {u.email:<32} {u.plan:<10} {u.credits:>10}{admin}")


@users_group.command("set-plan")
@click.argument("email")
@click.argument("plan")
@with_settings
def users_set_plan(settings: Settings, email: str, plan: str) -> None:
    from apexlocal.accounts.users import set_plan

    with _database(settings) as db:
        user = set_plan(db, email, plan, settings.plans)
    click.echo(f"{user.email}: plan {user.plan}")


@users_group.command("login-link")
@click.argument("email")
@click.option(
    "--base-url",
    default=None,
    help="This server's address as the browser reaches it (default: the base_url setting, or http://HOST:PORT).",
)
@with_settings
def users_login_link(settings: Settings, email: str, base_url: str | None) -> None:
    """Prints a one-time web UI login link (valid 15 minutes) alone on the last line."""
    from apexlocal.accounts import login_links
    from apexlocal.accounts.users import get_by_email

    with _database(settings) as db:
        token = login_links.create_link(db, get_by_email(db, email).id, timedelta(minutes=settings.login_link_minutes))
    minutes = round(settings.login_link_minutes)
    click.echo(f"Login link for {email}, usable once within {minutes} minutes:")
    click.echo(login_links.login_url(base_url or browser_base_url(settings), token))


@users_group.command("sign-out")
@click.argument("email")
@with_settings
def users_sign_out(settings: Settings, email: str) -> None:
    """Ends all of the user's web UI sessions, at once (a running server included). API keys keep working."""
    from apexlocal.accounts.sessions import revoke_all
    from apexlocal.accounts.users import get_by_email

    with _database(settings) as db:
        ended = revoke_all(db, get_by_email(db, email).id)
    click.echo(f"{email}: {ended} session{'' if ended == 1 else 's'} ended")


def browser_base_url(settings: Settings) -> str:
    """Where a browser on this machine reaches the server: a wildcard listen address is not one."""
    if settings.base_url:
        return settings.base_url.rstrip("/")
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(settings.host, settings.host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


@click.group("keys")
def keys_group() -> None:
    """Create, list and revoke API keys."""


@keys_group.command("create")
@click.option("--user", "email", required=True, help="Email of the key's owner.")
@click.option("--name", required=True, help="A name to recognise the key by.")
@with_settings
def keys_create(settings: Settings, email: str, name: str) -> None:
    """Prints the new key alone on the last line: it is shown this once."""
    from apexlocal.accounts.api_keys import create_key
    from apexlocal.accounts.users import get_by_email

    with _database(settings) as db:
        created = create_key(db, get_by_email(db, email).id, name)
    click.echo(f"Created key {created.id} ({created.name}) for {email}. It is shown this once:")
    click.echo(created.key)


@keys_group.command("list")
@click.option("--user", "email", default=None, help="Only this user's keys.")
@with_settings
def keys_list(settings: Settings, email: str | None) -> None:
    from apexlocal.accounts.api_keys import list_keys, public_view
    from apexlocal.accounts.users import get_by_email

    with _database(settings) as db:
        user_id = get_by_email(db, email).id if email else None
        for row in list_keys(db, user_id):
            v = public_view(row)
            click.echo(
                f"{v['id']}  {v['display']:<22} {v['name']:<20} {v['status']:<8} "
                f"created {v['createdAt']}  last used {v['lastUsedAt'] or 'never'}"
            )


@keys_group.command("revoke")
@click.argument("key_id")
@with_settings
def keys_revoke(settings: Settings, key_id: str) -> None:
    from apexlocal.accounts.api_keys import revoke_key

    with _database(settings) as db:
        revoke_key(db, key_id)
    click.echo(f"Revoked {key_id}")


@click.group("credits")
def credits_group() -> None:
    """Grant credits and show balances."""


@credits_group.command("grant")
@click.argument("email")
@click.argument("amount", type=int)
@click.option("--note", default="admin grant", help="Why (kept in the ledger).")
@with_settings
def credits_grant(settings: Settings, email: str, amount: int, note: str) -> None:
    from apexlocal.accounts.credits import grant
    from apexlocal.accounts.users import get_by_email

    with _database(settings) as db:
        balance = grant(db, get_by_email(db, email).id, amount, note)
    click.echo(f"{email}: {balance} credits")


@credits_group.command("show")
@click.argument("email")
@with_settings
def credits_show(settings: Settings, email: str) -> None:
    from apexlocal.accounts.credits import balance, ledger_sum
    from apexlocal.accounts.users import get_by_email

    with _database(settings) as db:
        user = get_by_email(db, email)
        click.echo(f"{email}: {balance(db, user.id)} credits (ledger sum {ledger_sum(db, user.id)}), plan {user.plan}")
