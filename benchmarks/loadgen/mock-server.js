#!/usr/bin/env node
'use strict';
// A bare Socket.IO v5 server (websocket only, default namespace) with the
// benchmark app's events, written straight on `ws`. It is not a contender:
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

const sockets = new Set();
const rooms = new Map(); // room -> Set of sockets

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
    socket.send('40' + JSON.stringify({ sid: crypto.randomBytes(15).toString('base64url') }));
  } else if (text.startsWith('42')) {
    const start = text.indexOf('[');
    const [name, arg] = JSON.parse(text.slice(start));
    onEvent(socket, text.slice(2, start), name, arg);
  }
}

const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404).end('ok');
});
const wss = new WebSocket.Server({ server, perMessageDeflate: false });
wss.on('connection', (socket) => {
  sockets.add(socket);
  socket.send('0' + JSON.stringify({ sid: crypto.randomBytes(15).toString('base64url'), ...OPEN }));
  const pinger = setInterval(() => socket.send('2'), PING_INTERVAL_MS);
  socket.on('message', (data, isBinary) => { if (!isBinary) onText(socket, data.toString()); });
  socket.on('error', () => {});
  socket.on('close', () => {
    clearInterval(pinger);
    sockets.delete(socket);
    for (const members of rooms.values()) members.delete(socket);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`IMPL mock\nPORT ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
