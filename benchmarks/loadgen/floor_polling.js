'use strict';
// C clients, each over its own keep-alive agent: POST a small body, then GET,
// again and again for S seconds; prints the round trips made. For
// server_floors.py.
const http = require('http');

const [port, clients, seconds] = process.argv.slice(2).map(Number);
const end = Date.now() + seconds * 1000;
const body = `42["echo","${'x'.repeat(40)}"]`;
let roundTrips = 0;

function request(agent, method) {
  return new Promise((resolve, reject) => {
    const headers = method === 'POST'
      ? { 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': Buffer.byteLength(body) }
      : {};
    const req = http.request(
      { host: '127.0.0.1', port, method, path: '/socket.io/?EIO=4&transport=polling', agent, headers },
      (res) => { res.resume(); res.on('end', resolve); },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? body : undefined);
  });
}

async function client() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  while (Date.now() < end) {
    await request(agent, 'POST');
    await request(agent, 'GET');
    roundTrips += 1;
  }
}

Promise.all(Array.from({ length: clients }, client)).then(() => console.log(roundTrips));
