'use strict';
// Opening and closing many connections with bounded concurrency: a burst of
// thousands of simultaneous handshakes would only measure the server's listen
// backlog (SYN drops and 1 s retransmits), not its connect path.

const { connect } = require('./sio');
const { Tally, now } = require('./stats');

// Opens up to `count` connections, `concurrency` handshakes in flight at a
// time, until `deadlineMs` has passed or `maxFailures` handshakes failed.
async function openMany(port, count, {
  concurrency = 50,
  deadlineMs = 60000,
  timeoutMs = 10000,
  maxFailures = 100,
  transport = 'websocket',
  onEvent,
  onClose,
} = {}) {
  const clients = [];
  const latencies = [];
  const failures = new Tally();
  const stopAt = now() + deadlineMs;
  let next = 0;
  const keepGoing = () => next < count && now() < stopAt && failures.total < maxFailures;

  async function worker() {
    while (keepGoing()) {
      next += 1;
      const started = now();
      try {
        const client = await connect(port, { transport, timeoutMs, onEvent, onClose });
        latencies.push(now() - started);
        clients.push(client);
      } catch (err) {
        failures.add(err.message);
      }
    }
  }

  const started = now();
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  let stoppedBy = 'count';
  if (failures.total >= maxFailures) stoppedBy = 'failures';
  else if (next < count) stoppedBy = 'time';
  return { clients, latencies, failures, stoppedBy, elapsedMs: now() - started };
}

// Sends each client's request with bounded concurrency; resolves when all
// have answered or failed.
async function forEachBounded(items, concurrency, fn) {
  let next = 0;
  const failures = new Tally();
  async function worker() {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failures.add(err.message);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return failures;
}

function closeAll(clients) {
  for (const client of clients) client.close();
}

module.exports = { openMany, forEachBounded, closeAll };
