'use strict';
// A minimal Socket.IO v5 client over Engine.IO v4, default namespace only,
// over either transport: websocket (websocket.js, on `ws`) or HTTP
// long-polling (polling.js). It speaks the wire format directly (no
// socket.io-client) so that one Node process can hold thousands of
// connections at a few KiB each and spend its CPU on the server, not on
// client-side machinery. The transports only move Engine.IO packets (text);
// everything Socket.IO is here, once, for both.
//
// Packets handled (text only):
//   0{...}            Engine.IO open        -> answer with 40 (Socket.IO connect)
//   2                 Engine.IO ping        -> answer with 3 (pong)
//   1                 Engine.IO close
//   40{...}           Socket.IO connect ok
//   44{...}           Socket.IO connect error
//   41                Socket.IO disconnect
//   42[...] 42<id>[...] event
//   43<id>[...]       ack

const { WebSocketTransport } = require('./websocket');
const { PollingTransport } = require('./polling');

class ConnectError extends Error {}

const TRANSPORTS = { websocket: WebSocketTransport, polling: PollingTransport };

class Client {
  constructor(transport, onEvent) {
    this.transport = transport; // send(text), terminate(), pause()
    this.onEvent = onEvent; // (client, name, args) => void
    this.sid = null;
    this.open = false;
    this.nextAckId = 0;
    this.acks = new Map(); // ack id -> {resolve, reject, timer}
    this.room = null; // set by scenarios that join rooms
  }

  emit(event, ...args) {
    this.transport.send('42' + JSON.stringify([event, ...args]));
  }

  // Resolves with the ack's arguments (an array); rejects after timeoutMs or
  // when the connection closes first.
  emitWithAck(event, arg, timeoutMs = 10000) {
    const id = this.nextAckId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`ack timeout for ${event}`));
      }, timeoutMs);
      this.acks.set(id, { resolve, reject, timer });
      this.transport.send('42' + id + JSON.stringify([event, arg]));
    });
  }

  close() {
    this.open = false;
    this.transport.terminate();
  }

  _onText(text) {
    const eioType = text.charCodeAt(0);
    if (eioType === 0x32 /* '2' ping */) {
      this.transport.send('3');
      return;
    }
    if (eioType !== 0x34 /* '4' message */) return; // open/close handled by connect()
    const sioType = text.charCodeAt(1);
    if (sioType === 0x32 /* '2' event */) {
      const start = text.indexOf('[');
      const args = JSON.parse(text.slice(start));
      this.onEvent(this, args[0], args.slice(1));
    } else if (sioType === 0x33 /* '3' ack */) {
      const start = text.indexOf('[');
      const id = Number(text.slice(2, start));
      const pending = this.acks.get(id);
      if (pending === undefined) return;
      this.acks.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(JSON.parse(text.slice(start)));
    }
  }

  _onClosed() {
    this.open = false;
    for (const pending of this.acks.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error('connection closed'));
    }
    this.acks.clear();
  }
}

// Opens one connection over `transport` ('websocket' or 'polling') and
// resolves once the Socket.IO connect is acknowledged.
function connect(port, {
  transport = 'websocket', timeoutMs = 10000, onEvent = () => {}, onClose = () => {},
} = {}) {
  const Transport = TRANSPORTS[transport];
  if (Transport === undefined) return Promise.reject(new ConnectError(`unknown transport ${transport}`));
  const carrier = new Transport(port, timeoutMs);
  const client = new Client(carrier, onEvent);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        carrier.terminate();
        reject(err);
      } else {
        client.open = true;
        resolve(client);
      }
    };
    const timer = setTimeout(() => settle(new ConnectError('timeout')), timeoutMs);
    carrier.onError = (err) => settle(new ConnectError(err.code || err.message));
    carrier.onClose = () => {
      const wasOpen = client.open;
      client._onClosed();
      settle(new ConnectError('closed during handshake'));
      if (wasOpen) onClose(client);
    };
    carrier.onText = (text) => {
      if (settled) {
        client._onText(text);
      } else if (text.startsWith('0{')) {
        client.sid = JSON.parse(text.slice(1)).sid;
        carrier.send('40');
      } else if (text.startsWith('40')) {
        settle();
      } else if (text.startsWith('44')) {
        settle(new ConnectError('connect refused: ' + text.slice(2)));
      } else if (text === '2') {
        carrier.send('3');
      }
    };
    carrier.start();
  });
}

module.exports = { connect, ConnectError };
