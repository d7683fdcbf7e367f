"""Starting the review editor: a bound socket, its address printed, uvicorn until Ctrl-C."""
from __future__ import annotations

import ipaddress
import secrets
import socket
from pathlib import Path

from pipeline import console
from pipeline.errors import ZhenError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
RENDER_AT_EXIT_S = 60  # how long a stop waits for the files of corrections confirmed just before


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def served_hosts(host: str, port: int) -> frozenset[str]:
    """The Host header values a request to this server may carry: the address it listens on, and
    for loopback its other spellings; for another address, this machine's names."""
    names = {host if ":" not in host else f"[{host}]"}
    if is_loopback(host):
        names |= set(LOOPBACK_NAMES)
    else:
        names |= {socket.gethostname(), socket.getfqdn(), *LOOPBACK_NAMES}
    return frozenset(f"{name}:{port}" for name in names)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ZhenError(f"cannot listen on {host}:{port}: {exc.strerror}",
                        hint="another program uses the port: give --port N (0 picks a free one)") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def make_app(outputs: Path, memory: Path, host: str, port: int, token: str | None = None, reviewer: str | None = None,
             proposals: Path | None = None):
    from pipeline.serve.app import Settings, create_app

    settings = Settings(outputs, memory, token or secrets.token_urlsafe(32), served_hosts(host, port),
                        proposals=proposals)
    if reviewer:
        settings.reviewer = reviewer
    return create_app(settings)


def serve(outputs: Path, memory: Path, host: str = "127.0.0.1", port: int = 8765, reviewer: str | None = None,
          proposals: Path | None = None) -> int:
    import uvicorn

    if not outputs.is_dir():
        raise ZhenError("no such output folder", path=str(outputs), hint="run `zhen translate` first")
    if not is_loopback(host):
        console.warn(f"listening on {host}: anyone who can reach this machine can read the articles; the page's "
                     "token guards every change")
    from pipeline.write import recover

    recover(outputs)  # what a killed server or run left half written
    sock = bind(host, port)
    port = sock.getsockname()[1]
    app = make_app(outputs, memory, host, port, reviewer=reviewer, proposals=proposals)
    shown = host if ":" not in host else f"[{host}]"
    console.out.print(f"zhen review serve: {outputs} (memory {memory}) at http://{shown}:{port}/  (Ctrl-C stops it)",
                      markup=False)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down on Ctrl-C, then raises it again: the way to stop
        pass
    finally:
        sock.close()
        written = app.state.editor.renderer.wait_all(RENDER_AT_EXIT_S)  # the files of the last confirms
    console.out.print("stopped: every confirmed correction is in the memory" +
                      ("" if written else "; some files were not written again: `zhen translate` renders them"),
                      markup=False)
    return 0
