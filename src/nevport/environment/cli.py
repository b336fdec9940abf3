"""`nevport env`: environmental power supervision tools."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from nevport.cli_common import err_console
from nevport.environment.hj212 import Hj212Error, decode_packet
from nevport.environment.hj212.mapping import readings_from

USAGE_ERROR = 2

app = typer.Typer(help="Environmental power supervision.", no_args_is_help=True)
decode_app = typer.Typer(help="Decode field-device data for debugging.", no_args_is_help=True)
app.add_typer(decode_app, name="decode")


def _packet_bytes(text: str) -> bytes:
    """The packet as typed on a shell: ``\\r\\n`` escapes are read, a missing CRLF added."""
    raw = text.replace("\\r", "\r").replace("\\n", "\n").encode("latin-1", errors="replace")
    return raw if raw.endswith(b"\r\n") else raw.rstrip(b"\r\n") + b"\r\n"


@decode_app.command("hj212")
def decode_hj212(
    packet: Annotated[str, typer.Argument(help="The packet, from '##' to the CRC.")],
) -> None:
    """Print an HJ 212 packet as JSON; exit 2 with the reason if it is malformed."""
    try:
        decoded = decode_packet(_packet_bytes(packet))
    except Hj212Error as exc:
        err_console.print(
            f"error: {exc.reason}: {exc.message}", markup=False, highlight=False, soft_wrap=True
        )
        raise typer.Exit(USAGE_ERROR) from None
    body = {
        "qn": decoded.qn,
        "st": decoded.st,
        "cn": decoded.cn,
        "pw": decoded.pw,
        "mn": decoded.mn,
        "flag": decoded.flag,
        "answer_wanted": decoded.answer_wanted,
        "pnum": decoded.pnum,
        "pno": decoded.pno,
        "cp": [dict(item) for item in decoded.cp],
        "facilities": readings_from(decoded),
    }
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
