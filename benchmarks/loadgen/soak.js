'use strict';
// Slow consumers: opts.clients websocket clients, one broadcast every
// opts.intervalMs (a `bcast` event from a healthy client, not waited for
// before the next one), and a share of the clients (opts.slowShare) that stop
// reading their socket once connected but keep the TCP connection open. A
// client that never reads never answers a ping either, so the server drops it
// in the end; the point is what happens until then, and to the others.
//
// Every opts.reportS seconds a mark `t<seconds>` carries the healthy
// clients' figures so far (the driver adds the server's RSS and how many of
// the slow clients' connections it still holds: a paused client cannot see
// its connection close). After the last broadcast, opts.graceMs for the last
// deliveries, then the mark `end` and the result.

const { openMany, closeAll } = require('./pool');
const { summarize, now, sleep } = require('./stats');

// Per broadcast: when it was sent, how many healthy clients should get it,
// how many did, and how long until the last of them had it.
class Ledger {
  constructor() {
    this.sentAt = [];
    this.expected = [];
    this.got = [];
    this.fanoutMs = []; // completed fan-outs, in order of completion
    this.ackMs = [];
    this.acked = 0;
    this.unacked = 0;
    this.received = 0;
    this.lost = 0; // sequence gaps seen by healthy clients
    this.duplicates = 0;
    this.onEvent = this.onEvent.bind(this);
  }

  onEvent(client, name, args) {
    if (name !== 'news' || client.slow) return;
    const seq = args[0].seq;
    if (seq < client.nextSeq) {
      this.duplicates += 1;
      return;
    }
    this.lost += seq - client.nextSeq;
    client.nextSeq = seq + 1;
    this.received += 1;
    this.got[seq] += 1;
    if (this.got[seq] === this.expected[seq]) this.fanoutMs.push(now() - this.sentAt[seq]);
  }

  send(controller, seq, healthyOpen, data, ackTimeoutMs) {
    this.sentAt[seq] = now();
    this.expected[seq] = healthyOpen;
    this.got[seq] = 0;
    controller.emitWithAck('bcast', { seq, room: null, data }, ackTimeoutMs).then(
      () => { this.acked += 1; this.ackMs.push(now() - this.sentAt[seq]); },
      () => { this.unacked += 1; },
    );
  }

  expectedSoFar() {
    return this.expected.reduce((sum, n) => sum + n, 0);
  }
}

// Evenly spread indices of `count` slow clients among `total`, never the
// last one (the controller).
function slowIndices(total, count) {
  const picked = new Set();
  for (let j = 0; j < count; j += 1) picked.add(Math.floor((j * (total - 1)) / count));
  return picked;
}

async function soakScenario(opts, control) {
  const ledger = new Ledger();
  let healthyDropped = 0;
  const opened = await openMany(opts.port, opts.clients, {
    concurrency: opts.concurrency,
    deadlineMs: opts.connectSeconds * 1000,
    timeoutMs: opts.timeoutMs,
    onEvent: ledger.onEvent,
    onClose: (client) => { if (!client.slow) healthyDropped += 1; },
  });
  const clients = opened.clients;
  if (clients.length < opts.clients) {
    closeAll(clients);
    throw new Error(`only ${clients.length}/${opts.clients} clients connected: ${JSON.stringify(opened.failures.counts)}`);
  }
  const slowAt = slowIndices(clients.length, Math.round(clients.length * opts.slowShare));
  const slowPorts = [];
  clients.forEach((client, i) => {
    client.nextSeq = 0;
    client.slow = slowAt.has(i);
    if (client.slow) {
      client.transport.pause();
      slowPorts.push(client.transport.localPort());
    }
  });
  const healthy = clients.filter((c) => !c.slow);
  const controller = healthy[healthy.length - 1];
  const data = 'x'.repeat(opts.payloadBytes);
  let sent = 0;
  let reported = 0; // fan-outs already in an earlier snapshot

  const snapshot = (seconds) => {
    const fresh = ledger.fanoutMs.slice(reported);
    reported = ledger.fanoutMs.length;
    const fanout = summarize(fresh);
    return {
      t: seconds,
      sent,
      acked: ledger.acked,
      unacked: ledger.unacked,
      healthy_open: healthy.filter((c) => c.open).length,
      healthy_dropped: healthyDropped,
      expected: ledger.expectedSoFar(),
      received: ledger.received,
      lost: ledger.lost,
      completed_fanouts: ledger.fanoutMs.length,
      fanout_ms: { count: fanout.count, p50: fanout.p50, max: fanout.max },
    };
  };

  await control.mark('start', { slow_ports: slowPorts, clients: clients.length });
  const started = now();
  const stopAt = started + opts.seconds * 1000;
  const broadcasts = (async () => {
    for (let seq = 0; started + seq * opts.intervalMs < stopAt; seq += 1) {
      await sleep(Math.max(0, started + seq * opts.intervalMs - now()));
      ledger.send(controller, seq, healthy.filter((c) => c.open).length, data, opts.ackTimeoutMs);
      sent = seq + 1;
    }
  })();
  for (let r = 1; started + r * opts.reportS * 1000 <= stopAt; r += 1) {
    await sleep(Math.max(0, started + r * opts.reportS * 1000 - now()));
    await control.mark(`t${r * opts.reportS}`, snapshot(r * opts.reportS));
  }
  await broadcasts;
  // The last deliveries: wait until they are in or the grace time is over.
  const graceUntil = now() + opts.graceMs;
  while (now() < graceUntil && ledger.received + ledger.lost < ledger.expectedSoFar()) await sleep(50);
  // What a healthy client still open has not got by now is lost.
  let tail = 0;
  for (const client of healthy) if (client.open) tail += sent - client.nextSeq;
  ledger.lost += tail;
  const last = snapshot((now() - started) / 1000);
  await control.mark('end', last);
  closeAll(clients);
  const incomplete = ledger.expected.filter((n, seq) => ledger.got[seq] < n).length;
  return {
    op: 'delivery',
    ops: ledger.received,
    clients: clients.length,
    slow: slowPorts.length,
    healthy: healthy.length,
    seconds: opts.seconds,
    broadcasts: sent,
    acked: ledger.acked,
    unacked: ledger.unacked,
    expected: last.expected,
    received: ledger.received,
    lost: ledger.lost,
    duplicates: ledger.duplicates,
    healthy_dropped: healthyDropped,
    incomplete_fanouts: incomplete,
    fanout_ms: summarize(ledger.fanoutMs),
    ack_ms: summarize(ledger.ackMs),
    connect_s: opened.elapsedMs / 1000,
  };
}

module.exports = { soakScenario };
