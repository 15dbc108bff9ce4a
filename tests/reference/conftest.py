"""The vendored suite is run by `test_reference_suite`, in its own process, not collected here."""

collect_ignore = ["flask_socketio_5_7_0"]
