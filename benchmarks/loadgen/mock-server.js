#!/usr/bin/env node
'use strict';
// A bare Socket.IO v5 server (default namespace) with the benchmark app's
// events, written straight on `ws` and Node's http: websocket, and
// long-polling without upgrade (one parked GET per session, POSTs of
// \x1e-separated packets, keep-alive as Node's http server does it).
// It is not a contender:
// `run.py --impl mock` runs the scenarios against it to show the load
// generator's own ceiling, i.e. the rate above which a figure would measure
// the load generator instead of the server.
//
// Prints "IMPL mock" and "PORT <n>" like serve.py, then serves on 127.0.0.1.

const http = require('http');
const crypto = require('crypto');
const WebSocket = require('ws');

const PING_INTERVAL_MS = 25000;
const OPEN = { upgrades: [], pingInterval: PING_INTERVAL_MS, pingTimeout: 20000, maxPayload: 1000000 };
const SEPARATOR = '\x1e';
const POLLING = /^\/socket\.io\/\?(.*)$/;

const sockets = new Set(); // a ws socket or a PollingSession: both have send(text)
const rooms = new Map(); // room -> Set of sockets
const sessions = new Map(); // sid -> PollingSession

const newSid = () => crypto.randomBytes(15).toString('base64url');

// A socket joins on open and leaves every room on close, whatever its transport.
function opened(socket, sid, close) {
  sockets.add(socket);
  socket.send('0' + JSON.stringify({ sid, ...OPEN }));
  const pinger = setInterval(() => socket.send('2'), PING_INTERVAL_MS);
  return () => {
    clearInterval(pinger);
    sockets.delete(socket);
    for (const members of rooms.values()) members.delete(socket);
    close();
  };
}

// Long-polling: packets queue until the parked GET takes them all.
class PollingSession {
  constructor() {
    this.sid = newSid();
    this.queue = [];
    this.parked = null; // the GET waiting for packets
    this.close = opened(this, this.sid, () => sessions.delete(this.sid));
    sessions.set(this.sid, this);
  }

  send(text) {
    this.queue.push(text);
    this.flush();
  }

  park(res) {
    this.parked = res;
    this.flush();
  }

  flush() {
    if (this.parked === null || this.queue.length === 0) return;
    const res = this.parked;
    this.parked = null;
    answer(res, 200, this.queue.join(SEPARATOR));
    this.queue = [];
  }
}

function answer(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function onPolling(req, res, query) {
  const params = new URLSearchParams(query);
  if (params.get('transport') !== 'polling') return answer(res, 400, 'polling only over plain HTTP');
  const sid = params.get('sid');
  if (sid === null) {
    if (req.method !== 'GET') return answer(res, 400, 'bad handshake method');
    return new PollingSession().park(res);
  }
  const session = sessions.get(sid);
  if (session === undefined) return answer(res, 400, 'unknown sid');
  if (req.method === 'GET') {
    if (session.parked !== null) {
      session.close();
      return answer(res, 400, 'a GET is already pending');
    }
    res.on('close', () => { if (session.parked === res) session.close(); });
    return session.park(res);
  }
  const chunks = [];
  req.setEncoding('utf8');
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    for (const packet of chunks.join('').split(SEPARATOR)) onText(session, packet);
    answer(res, 200, 'ok');
  });
  return undefined;
}

function broadcast(message) {
  const frame = '42' + JSON.stringify(['news', message]); // encoded once
  const targets = message.room == null ? sockets : rooms.get(message.room) || [];
  for (const socket of targets) socket.send(frame);
}

function onEvent(socket, ackId, name, arg) {
  let reply;
  if (name === 'echo') {
    reply = arg;
  } else if (name === 'join') {
    if (!rooms.has(arg)) rooms.set(arg, new Set());
    rooms.get(arg).add(socket);
    reply = arg;
  } else if (name === 'bcast') {
    broadcast(arg);
    reply = arg.seq;
  }
  if (ackId !== '') socket.send('43' + ackId + JSON.stringify([reply]));
}

function onText(socket, text) {
  if (text === '3') return; // pong
  if (text.startsWith('40')) {
    socket.send('40' + JSON.stringify({ sid: newSid() }));
  } else if (text.startsWith('42')) {
    const start = text.indexOf('[');
    const [name, arg] = JSON.parse(text.slice(start));
    onEvent(socket, text.slice(2, start), name, arg);
  }
}

const server = http.createServer((req, res) => {
  const polling = POLLING.exec(req.url);
  if (polling) onPolling(req, res, polling[1]);
  else answer(res, req.url === '/health' ? 200 : 404, 'ok');
});
server.keepAliveTimeout = 60000; // clients' agents keep their two sockets between polls
const wss = new WebSocket.Server({ server, perMessageDeflate: false });
wss.on('connection', (socket) => {
  const close = opened(socket, newSid(), () => {});
  socket.on('message', (data, isBinary) => { if (!isBinary) onText(socket, data.toString()); });
  socket.on('error', () => {});
  socket.on('close', close);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`IMPL mock\nPORT ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
