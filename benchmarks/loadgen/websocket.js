'use strict';
// The websocket transport of sio.js: one `ws` connection to
// /socket.io/?EIO=4&transport=websocket, one Engine.IO packet per text frame.
// A transport moves text packets and reports what happens to it through
// onText(text), onError(err) and onClose(), which sio.js sets before start().

const WebSocket = require('ws');

class WebSocketTransport {
  constructor(port, timeoutMs) {
    this.url = `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
    this.timeoutMs = timeoutMs;
    this.ws = null;
    this.onText = () => {};
    this.onError = () => {};
    this.onClose = () => {};
  }

  start() {
    // No permessage-deflate: browsers offer it, but payloads here are small and
    // compression would measure zlib rather than the Socket.IO stack.
    const ws = new WebSocket(this.url, {
      perMessageDeflate: false, handshakeTimeout: this.timeoutMs, skipUTF8Validation: true,
    });
    this.ws = ws;
    ws.on('error', (err) => this.onError(err));
    ws.on('close', () => this.onClose());
    ws.on('message', (data, isBinary) => { if (!isBinary) this.onText(data.toString()); });
  }

  send(text) {
    this.ws.send(text);
  }

  terminate() {
    this.ws.terminate();
  }

  // Stops reading the socket (the TCP connection stays open): a slow consumer.
  pause() {
    this.ws.pause();
  }

  localPort() {
    return this.ws._socket ? this.ws._socket.localPort : null;
  }
}

module.exports = { WebSocketTransport };
