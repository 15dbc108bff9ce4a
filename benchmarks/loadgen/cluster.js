#!/usr/bin/env node
'use strict';
// The cluster benchmark's clients (benchmarks/cluster.py runs it):
//   node cluster.js MODE --ports P1,P2,P3 [--clients 100] [--seconds 10]
//                        [--rate 100] [--count 200]
// Opens --clients websocket clients spread over the ports, all in room "r",
// plus one driver client per port, then:
//   saturate: every driver floods the room (--count emits per request, back
//             to back) for --seconds;
//   paced:    the first driver asks for one broadcast every 1/--rate s;
//   burst:    each driver asks for one flood of --count at once.
// Every message carries the server's emit time: latency is now - stamp.
// Prints one JSON line: {"result": {deliveries, seconds, p50, p99, expected,
// lost, ...}}; "mark" lines ({"mark": "start"} / "end") let the runner sample
// the servers' CPU time around the measured window.

const { connect } = require('./sio');

function args(argv) {
  const [mode, ...rest] = argv;
  const opts = { mode, ports: [], clients: 100, seconds: 10, rate: 100, count: 200 };
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i].replace(/^--/, '');
    opts[key] = key === 'ports' ? rest[i + 1].split(',').map(Number) : Number(rest[i + 1]);
  }
  return opts;
}

function quantile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

async function main() {
  const opts = args(process.argv.slice(2));
  setTimeout(() => { out({ error: 'hard timeout' }); process.exit(2); }, (opts.seconds + 120) * 1000).unref();
  let measuring = false;
  let deliveries = 0;
  const latencies = [];
  const seen = []; // per client: the set of paced seqs it got
  const onEvent = (client, name, evArgs) => {
    if (name !== 'news' || !measuring) return;
    const [stamp, ident, n] = evArgs[0];
    deliveries += 1;
    if (latencies.length < 2000000) latencies.push(Date.now() - stamp);
    if (ident === 'b') seen[client.index].add(n);
  };
  const clients = [];
  for (let i = 0; i < opts.clients; i += 1) {
    const port = opts.ports[i % opts.ports.length];
    const client = await connect(port, { onEvent });
    client.index = i;
    seen.push(new Set());
    await client.emitWithAck('join', 'r');
    clients.push(client);
  }
  const drivers = [];
  for (const port of opts.ports) drivers.push(await connect(port));
  await sleep(500);
  measuring = true;
  out({ mark: 'start' });
  const started = Date.now();
  const deadline = started + opts.seconds * 1000;
  let expected = 0;
  let sent = 0;
  if (opts.mode === 'saturate') {
    await Promise.all(drivers.map(async (driver, d) => {
      while (Date.now() < deadline) {
        await driver.emitWithAck('flood', { room: 'r', count: opts.count, id: d }, 60000);
        sent += opts.count;
      }
    }));
  } else if (opts.mode === 'paced') {
    const interval = 1000 / opts.rate;
    for (let seq = 0; Date.now() < deadline; seq += 1) {
      drivers[0].emit('bcast', { room: 'r', seq });
      sent += 1;
      expected += opts.clients;
      const next = started + (seq + 1) * interval;
      await sleep(Math.max(0, next - Date.now()));
    }
  } else if (opts.mode === 'burst') {
    await Promise.all(drivers.map((driver, d) => driver.emitWithAck('flood', { room: 'r', count: opts.count, id: d }, 60000)));
    sent = opts.count * drivers.length;
  }
  const wanted = opts.mode === 'saturate' ? null : sent * opts.clients;
  // wait for the last deliveries (bounded)
  const settleBy = Date.now() + 10000;
  while (wanted !== null && deliveries < wanted && Date.now() < settleBy) await sleep(20);
  const elapsed = (Date.now() - started) / 1000;
  measuring = false;
  out({ mark: 'end' });
  latencies.sort((a, b) => a - b);
  let lost = null;
  if (opts.mode === 'paced') {
    lost = 0;
    for (const s of seen) lost += sent - s.size;
  }
  out({ result: {
    mode: opts.mode, clients: opts.clients, processes: opts.ports.length, sent,
    deliveries, seconds: elapsed, rate: deliveries / elapsed,
    p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), expected: wanted, lost,
  } });
  for (const c of [...clients, ...drivers]) c.close();
  process.exit(0);
}

main().catch((err) => { out({ error: String(err && err.stack || err) }); process.exit(1); });
