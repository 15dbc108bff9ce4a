#!/usr/bin/env node
'use strict';
// Many socket.io-client 4.x sockets answering the server's "vote" requests:
//   node crowd.js URL[,URL...] COUNT ROOM LATE_MS
// Socket i connects to the (i % number of URLs)th URL. It never answers when
// i % 10 == 0, answers after LATE_MS when i % 10 == 1, at once otherwise
// (with [i]). The sockets that answer also join ROOM-answering. Once every
// socket has joined ROOM it prints one JSON line {"never": [sids], "late":
// [sids], "prompt": [sids], "index": {sid: i}}, then runs until stdin closes.
const { io } = require('socket.io-client');

const [urlArg, countArg, room, lateArg] = process.argv.slice(2);
const urls = urlArg.split(',');
const count = Number(countArg);
const lateMs = Number(lateArg);
const groups = { never: [], late: [], prompt: [] };
const index = {};
const sockets = [];
let joined = 0;

function open(i) {
  const socket = io(urls[i % urls.length], { transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  socket.on('vote', (question, ack) => {
    if (i % 10 === 0) return;
    if (i % 10 === 1) setTimeout(() => ack(i), lateMs);
    else ack(i);
  });
  socket.on('connect', () => {
    if (i % 10 !== 0) socket.emit('join', `${room}-answering`);
    socket.emit('join', room, () => {
      index[socket.id] = i;
      groups[i % 10 === 0 ? 'never' : i % 10 === 1 ? 'late' : 'prompt'].push(socket.id);
      joined += 1;
      if (joined === count) process.stdout.write(JSON.stringify({ ...groups, index }) + '\n');
    });
  });
  socket.on('connect_error', (err) => {
    process.stderr.write(`socket ${i}: ${err.message}\n`);
    process.exit(2);
  });
}

// Open them in batches, as a crowd arrives, not all in one tick.
let next = 0;
function batch() {
  for (let k = 0; k < 50 && next < count; k += 1) open(next++);
  if (next < count) setTimeout(batch, 20);
}
batch();
process.stdin.resume();
process.stdin.on('end', () => {
  for (const socket of sockets) socket.close();
  process.exit(0);
});
