"""``flask run`` for Socket.IO apps.

Installing the package registers this command under the ``flask.commands``
entry point, which replaces Flask's own ``run``: for an app with a `SocketIO`
it starts the Socket.IO-capable server of the app's async mode through
``socketio.run``; any other app gets Flask's command unchanged. It takes the
options of Flask's ``run``::

    $ FLASK_APP=my_app.py flask run
    $ flask --app my_app --debug run --port 8000
"""

from __future__ import annotations

from typing import Any

import click
from flask.cli import ScriptInfo, pass_script_info, show_server_banner
from flask.cli import run_command as flask_run_command
from flask.helpers import get_debug_flag

from .serving import serve


@pass_script_info
def _run(info: ScriptInfo, /, **options: Any) -> None:
    ctx = click.get_current_context()
    try:
        app = info.load_app()
    except Exception:
        # Flask's command reports (or, under the reloader, defers) the error.
        ctx.invoke(flask_run_command, **options)
        return
    socketio = app.extensions.get("socketio")
    if socketio is None:
        ctx.invoke(flask_run_command, **options)
        return

    debug = get_debug_flag()
    reload = options.get("reload")
    debugger = options.get("debugger")
    show_server_banner(debug, info.app_import_path)
    reloader_options = {
        key: options[key] for key in ("extra_files", "exclude_patterns") if options.get(key)
    }
    web_options = {"ssl_context": options["cert"]} if options.get("cert") else {}
    serve(
        socketio,
        app,
        options["host"],
        options["port"],
        debugger=debug if debugger is None else debugger,
        use_reloader=debug if reload is None else reload,
        reloader_options=reloader_options,
        log_output=True,
        **web_options,
    )
    return None


run = click.Command(
    "run",
    callback=_run,
    params=list(flask_run_command.params),
    help="Run a development server with Socket.IO (polling and websocket).\n\n"
    "The reloader and debugger are enabled by default with the '--debug' option.",
    short_help="Run a development server with Socket.IO.",
)
