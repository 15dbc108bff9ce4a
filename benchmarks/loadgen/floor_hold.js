'use strict';
// Opens N websockets (20 handshakes at a time) to ws://127.0.0.1:PORT/ and
// holds them; prints "open" once all are open. For server_floors.py.
const WebSocket = require('ws');

const [port, total] = [process.argv[2], Number(process.argv[3])];
let opened = 0;
let started = 0;
function openOne() {
  if (started >= total) return;
  started += 1;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  ws.on('open', () => {
    opened += 1;
    if (opened === total) console.log('open');
    openOne();
  });
  ws.on('error', (err) => {
    console.error(err.message);
    process.exit(1);
  });
}
for (let i = 0; i < 20; i += 1) openOne();
