"""Small apps written the way public Flask-SocketIO apps are written.

Each lives in its own folder with its own test-client suite, as its author
would ship it; `test_real_clients` also serves each one with
``python -m tests.serve`` in every async mode and drives it with the
python-socketio client over polling and websocket:

- ``ticker``: the Flask-SocketIO example's shape: a background task started at
  the first connection (``socketio.start_background_task``, ``socketio.sleep``)
  emits to everyone; session counters, rooms, a disconnect from an ack callback
  (``copy_current_request_context``).
- ``odd_options``: ``SocketIO(app, ...)`` with options copied from tutorials
  that Flask-SocketIO 5.x ignores (``log_output``, ``debug``,
  ``allow_unsafe_werkzeug``, ``upgrade_timeout``).
- ``notes``: a login over HTTP, a class-based namespace that refuses anonymous
  clients, rooms per board; ships the fullest test-client suite.

The one concession to the harness: each app reads its async mode from
``SOCKETIO_ASYNC_MODE`` (set by ``tests.serve``; unset, the mode is detected,
as when an app passes ``async_mode=None``).
"""
