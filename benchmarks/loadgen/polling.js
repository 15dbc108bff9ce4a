'use strict';
// The HTTP long-polling transport of sio.js (Engine.IO v4, no upgrade): one
// GET held open at a time that the server answers with whatever it has
// queued, and POSTs that carry what the client sends, several packets joined
// with the record separator \x1e. Packets written while a POST is in flight
// wait and go together in the next one, as Engine.IO clients do.
//
// Each client has its own keep-alive agent with at most two sockets (the
// pending GET and a POST), as one browser tab would: the server sees two TCP
// connections per client, and one request at a time on each.

const http = require('http');

const SEPARATOR = '\x1e';
const PATH = '/socket.io/?EIO=4&transport=polling';

class PollingTransport {
  constructor(port) {
    this.port = port;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    this.sid = null;
    this.outbox = []; // packets waiting for the POST in flight to finish
    this.posting = false;
    this.closed = false;
    this.onText = () => {};
    this.onError = () => {};
    this.onClose = () => {};
  }

  start() {
    this._poll();
  }

  send(text) {
    this.outbox.push(text);
    this._flush();
  }

  terminate() {
    if (this.closed) return;
    this.closed = true;
    this.agent.destroy();
    setImmediate(() => this.onClose());
  }

  pause() {
    throw new Error('pause() is for websocket clients only');
  }

  localPort() {
    return null;
  }

  _fail(err) {
    if (this.closed) return;
    this.closed = true;
    this.agent.destroy();
    if (err) this.onError(err);
    this.onClose();
  }

  _request(method, body, onBody) {
    const path = this.sid === null ? PATH : `${PATH}&sid=${encodeURIComponent(this.sid)}`;
    const headers = body === null ? {} : {
      'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': Buffer.byteLength(body),
    };
    const req = http.request({ host: '127.0.0.1', port: this.port, path, method, headers, agent: this.agent },
      (res) => {
        const chunks = [];
        res.setEncoding('utf8');
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          if (this.closed) return;
          if (res.statusCode !== 200) this._fail(new Error(`HTTP ${res.statusCode} on ${method}`));
          else onBody(chunks.join(''));
        });
        res.on('error', (err) => this._fail(err));
      });
    req.on('error', (err) => this._fail(err));
    req.end(body === null ? undefined : body);
  }

  // The pending GET: handle its packets, then ask again at once.
  _poll() {
    this._request('GET', null, (payload) => {
      for (const packet of payload.split(SEPARATOR)) {
        if (this.sid === null && packet.startsWith('0{')) {
          this.sid = JSON.parse(packet.slice(1)).sid;
        } else if (packet === '1') { // the server closed the session
          this._fail(null);
          return;
        }
        this.onText(packet);
        if (this.closed) return;
      }
      this._poll();
    });
  }

  _flush() {
    if (this.posting || this.closed || this.sid === null || this.outbox.length === 0) return;
    const body = this.outbox.join(SEPARATOR);
    this.outbox = [];
    this.posting = true;
    this._request('POST', body, () => {
      this.posting = false;
      this._flush();
    });
  }
}

module.exports = { PollingTransport };
