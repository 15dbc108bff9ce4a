"""Flask-SocketIO on its own Engine.IO/Socket.IO stack."""
