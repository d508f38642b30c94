"""``gridcommand serve [--host H] [--port P]``: the dashboard and the API on one server (gunicorn, threads), and
the job worker beside it (``cli.worker``; stopped with the server)."""

from __future__ import annotations

from typing import Any

import click

from cli.common import fail_clearly, settings_of, url_of
from cli.worker import WorkerChild
from geo_data.errors import DatabaseUnavailable
from geo_data.migrator import verify


@click.command("serve")
@click.option("--host", default=None, help="default from settings (127.0.0.1)")
@click.option("--port", default=None, type=int, help="default from settings (8050)")
@click.option("--workers", default=2, show_default=True,
              help="processes (each has one LISTEN connection); 2 lets the API use both cores despite the GIL")
@click.option("--threads", default=64, show_default=True, help="threads per process (live streams hold one)")
@click.option("--simulate", is_flag=True, help="also run the alert simulator against this server, if installed")
@click.option("--no-worker", is_flag=True, help="no job worker beside the server (run `gridcommand worker` yourself)")
@click.pass_context
def command(ctx: click.Context, host: str | None, port: int | None, workers: int, threads: int,
            simulate: bool, no_worker: bool) -> None:
    """Serve the dashboard at http://HOST:PORT, with a job worker (``gridcommand worker``) beside it."""
    from gunicorn.app.base import BaseApplication

    settings = settings_of(ctx)
    _verify_schema(url_of(ctx))
    host = host or settings.server.host
    port = port or settings.server.port

    class _App(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", None)
            # gunicorn's runtime control socket is one fixed path per user: several servers on one machine
            # (a county's staging beside production, the tests) would take it from each other; nothing uses it.
            self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            from app import create_app

            return create_app(settings).server

    if simulate:
        _start_simulator(ctx, f"http://{host}:{port}")
    click.echo(f"GridCommand on http://{host}:{port}")
    _without_server_banner()
    job_worker = None if no_worker else WorkerChild(url_of(ctx), stop_timeout_s=settings.jobs.stop_timeout_s).start()
    try:
        _App().run()
    finally:
        if job_worker is not None:
            job_worker.stop()


def _verify_schema(url: str) -> None:
    """An edited applied migration stops the start with a message naming it (``geo_data.migrator.verify``).

    A database that is away right now does not: the server starts and answers 503 until it is back, as always.
    """
    with fail_clearly():
        try:
            verify(url)
        except DatabaseUnavailable as exc:
            click.echo(f"warning: the schema was not verified, the database is unavailable: {exc}", err=True)


def _without_server_banner() -> None:
    """No ``Server: gunicorn`` header: the software and version are nobody's business (issue 16).

    gunicorn writes the header itself (``Response.default_headers``) and has no setting for it; the workers are
    forked from this process, so patching the class here covers them all.
    """
    from gunicorn.http import wsgi

    original = wsgi.Response.default_headers
    if getattr(original, "_gc_no_banner", False):
        return

    def default_headers(self: Any) -> list[str]:
        return [h for h in original(self) if not h.startswith("Server:")]

    default_headers._gc_no_banner = True  # type: ignore[attr-defined]
    wsgi.Response.default_headers = default_headers  # type: ignore[method-assign]


def _start_simulator(ctx: click.Context, base_url: str) -> None:
    try:
        from cli import simulate as sim
    except ImportError:
        return
    sim.start_background(ctx, base_url)
