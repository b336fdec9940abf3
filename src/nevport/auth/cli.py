"""`nevport users` and `nevport tokens`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from nevport.auth import service
from nevport.auth.roles import Role
from nevport.cli_common import DataDirOption, console, open_database, settings_for
from nevport.errors import InvalidInput

users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
tokens_app = typer.Typer(
    help="Manage device tokens for machines that push data.", no_args_is_help=True
)


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Role of the account.")],
    enterprise: Annotated[
        int | None, typer.Option(help="Enterprise id (enterprise roles only).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    display_name: Annotated[str, typer.Option(help="Name shown in the portal.")] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Create a user; the password is read from standard input, never from the command line."""
    if not password_stdin:
        raise InvalidInput("pass --password-stdin and pipe the password in", field="password")
    password = sys.stdin.readline().rstrip("\r\n")
    database = open_database(settings_for(data_dir))
    with database.session() as session:
        user = service.create_user(
            session, name, password, role, enterprise_id=enterprise, display_name=display_name
        )
        console.print(f"created user {user.username} (id {user.id}, role {user.role.value})")


@users_app.command("list")
def list_users(data_dir: DataDirOption = None) -> None:
    """List every account."""
    database = open_database(settings_for(data_dir))
    table = Table("id", "username", "role", "enterprise", "active")
    with database.session() as session:
        for user in service.list_users(session):
            table.add_row(
                str(user.id),
                user.username,
                user.role.value,
                str(user.enterprise_id or ""),
                "yes" if user.is_active else "no",
            )
    console.print(table)


@tokens_app.command("create")
def create_token(
    enterprise: Annotated[int, typer.Option(help="Enterprise the device pushes data for.")],
    name: Annotated[str, typer.Option(help="What the device is, e.g. 'workshop 2 collector'.")],
    data_dir: DataDirOption = None,
) -> None:
    """Create a device token and print it once."""
    database = open_database(settings_for(data_dir))
    with database.session() as session:
        plain, row = service.create_device_token(session, enterprise, name)
        console.print(f"token {row.id} for enterprise {enterprise} (shown once):")
        typer.echo(plain)


@tokens_app.command("list")
def list_tokens(
    enterprise: Annotated[int | None, typer.Option(help="Only this enterprise's tokens.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """List device tokens (never their secrets)."""
    database = open_database(settings_for(data_dir))
    table = Table("id", "enterprise", "name", "prefix", "revoked")
    with database.session() as session:
        for row in service.list_device_tokens(session, enterprise):
            revoked = row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else ""
            table.add_row(
                str(row.id), str(row.enterprise_id), row.name, row.prefix + "...", revoked
            )
    console.print(table)


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="Id from `nevport tokens list`.")],
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a device token; the device's next push is refused."""
    database = open_database(settings_for(data_dir))
    with database.session() as session:
        row = service.revoke_device_token(session, token_id)
        console.print(f"revoked token {row.id} ({row.name})")
