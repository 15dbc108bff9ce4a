'use strict';
// The benchmark scenarios. Each takes the options and the driver control,
// places its marks around the work to be measured ("start"/"end": the CPU
// window; "held": connections open, for RSS and threads) and returns its
// figures. `ops` is what the driver divides the server's CPU time by.
// The `-polling` variants are the same scenarios with clients on the
// long-polling transport (opts.transport), websocket otherwise.

const { openMany, forEachBounded, closeAll } = require('./pool');
const { FanOut } = require('./fanout');
const { summarize, now, sleep } = require('./stats');
const { soakScenario } = require('./soak');

const MAX_MISSED_IN_A_ROW = 3; // incomplete fan-outs before a scenario gives up

function openOptions(opts, extra = {}) {
  return {
    concurrency: opts.concurrency,
    deadlineMs: opts.connectSeconds * 1000,
    timeoutMs: opts.timeoutMs,
    transport: opts.transport,
    ...extra,
  };
}

// Fails the scenario early with a clear message rather than measuring a
// fraction of the intended load.
function requireAll(opened, wanted) {
  if (opened.clients.length < wanted) {
    closeAll(opened.clients);
    const why = JSON.stringify(opened.failures.counts);
    throw new Error(`only ${opened.clients.length}/${wanted} clients connected: ${why}`);
  }
}

async function connectScenario(opts, control) {
  await control.mark('start');
  const opened = await openMany(opts.port, opts.clients, openOptions(opts));
  await control.mark('end');
  // Let the server finish any per-connection setup before memory is read.
  await sleep(opts.settleMs);
  const held = opened.clients.filter((c) => c.open).length;
  await control.mark('held');
  closeAll(opened.clients);
  return {
    op: 'connection',
    ops: opened.clients.length,
    held,
    target: opts.clients,
    duration_s: opened.elapsedMs / 1000,
    per_second: opened.clients.length / (opened.elapsedMs / 1000),
    latency_ms: summarize(opened.latencies),
    failures: opened.failures,
  };
}

async function echoScenario(opts, control) {
  const opened = await openMany(opts.port, opts.clients, openOptions(opts));
  requireAll(opened, opts.clients);
  const payload = 'x'.repeat(opts.payloadBytes);
  const latencies = [];
  let errors = 0;
  let mismatches = 0;
  await control.mark('start');
  const started = now();
  const stopAt = started + opts.seconds * 1000;
  // Closed loop: each client sends its next request as soon as the previous
  // ack is in, so throughput is what the server sustains at this concurrency.
  async function loop(client) {
    while (now() < stopAt && latencies.length < opts.maxOps) {
      const sent = now();
      try {
        const args = await client.emitWithAck('echo', payload, opts.timeoutMs);
        latencies.push(now() - sent);
        if (args[0] !== payload) mismatches += 1;
      } catch {
        errors += 1;
        if (!client.open) return;
      }
    }
  }
  await Promise.all(opened.clients.map(loop));
  const elapsedMs = now() - started;
  await control.mark('end');
  closeAll(opened.clients);
  return {
    op: 'round trip',
    ops: latencies.length,
    duration_s: elapsedMs / 1000,
    per_second: latencies.length / (elapsedMs / 1000),
    latency_ms: summarize(latencies),
    errors,
    mismatches,
    clients: opened.clients.length,
  };
}

// Sequential fan-outs: `targets` is a list of {room, expected}; the whole
// list is sent `repeats` times from the first client.
async function runFanOuts(fanOut, controller, targets, opts, control) {
  const times = [];
  let deliveries = 0;
  let incomplete = 0;
  let unacked = 0;
  let seq = 0;
  const data = 'x'.repeat(opts.payloadBytes);
  await control.mark('start');
  const started = now();
  let missedInARow = 0;
  rounds: for (let round = 0; round < opts.repeats; round += 1) {
    for (const { room, expected } of targets) {
      const res = await fanOut.trigger(controller, { seq: seq++, room, data }, expected, opts.timeoutMs);
      times.push(res.ms);
      deliveries += res.received;
      if (!res.acked) unacked += 1;
      if (res.complete) {
        missedInARow = 0;
      } else {
        incomplete += 1;
        missedInARow += 1;
        // A server that stopped delivering would otherwise hold the run for
        // a timeout per remaining fan-out.
        if (missedInARow >= MAX_MISSED_IN_A_ROW) break rounds;
      }
    }
  }
  const elapsedMs = now() - started;
  await control.mark('end');
  return {
    op: 'delivery',
    ops: deliveries,
    fanouts: times.length,
    expected_deliveries: opts.repeats * targets.reduce((sum, t) => sum + t.expected, 0),
    duration_s: elapsedMs / 1000,
    per_second: deliveries / (elapsedMs / 1000),
    fanout_ms: summarize(times),
    incomplete,
    unacked,
    late: fanOut.late,
    wrong_room: fanOut.wrongRoom,
  };
}

async function broadcastScenario(opts, control) {
  const fanOut = new FanOut();
  const opened = await openMany(opts.port, opts.clients, openOptions(opts, { onEvent: fanOut.onEvent }));
  requireAll(opened, opts.clients);
  const targets = [{ room: null, expected: opened.clients.length }];
  const figures = await runFanOuts(fanOut, opened.clients[0], targets, opts, control);
  closeAll(opened.clients);
  return { ...figures, clients: opened.clients.length };
}

async function roomsScenario(opts, control) {
  const fanOut = new FanOut();
  const opened = await openMany(opts.port, opts.clients, openOptions(opts, { onEvent: fanOut.onEvent }));
  requireAll(opened, opts.clients);
  const members = new Map();
  opened.clients.forEach((client, i) => {
    client.room = `room-${i % opts.rooms}`;
    members.set(client.room, (members.get(client.room) || 0) + 1);
  });
  const joinFailures = await forEachBounded(opened.clients, opts.concurrency,
    (client) => client.emitWithAck('join', client.room, opts.timeoutMs));
  if (joinFailures.total > 0) {
    closeAll(opened.clients);
    throw new Error(`join failed: ${JSON.stringify(joinFailures.counts)}`);
  }
  const targets = [...members].map(([room, expected]) => ({ room, expected }));
  const figures = await runFanOuts(fanOut, opened.clients[0], targets, opts, control);
  closeAll(opened.clients);
  return { ...figures, clients: opened.clients.length, rooms: opts.rooms };
}

// How many connections the server holds, opened as fast as it accepts them
// within a time bound, and whether one broadcast still reaches all of them.
async function maxScenario(opts, control) {
  const fanOut = new FanOut();
  let dropped = 0;
  await control.mark('start');
  const opened = await openMany(opts.port, opts.clients, openOptions(opts, {
    deadlineMs: opts.seconds * 1000,
    maxFailures: Math.max(100, Math.ceil(opts.clients / 10)),
    onEvent: fanOut.onEvent,
    onClose: () => { dropped += 1; },
  }));
  await control.mark('end');
  await sleep(opts.settleMs);
  const open = opened.clients.filter((c) => c.open);
  await control.mark('held');
  const droppedBeforeBroadcast = dropped;
  // The newest connection triggers the broadcast: the oldest ones are the
  // first a struggling server drops at its ping timeout.
  const controller = open[open.length - 1];
  await control.mark('broadcast_start');
  const res = controller
    ? await fanOut.trigger(controller, { seq: 0, room: null, data: 'x'.repeat(opts.payloadBytes) },
      open.length, opts.fanoutTimeoutMs)
    : { ms: null, complete: false, received: 0, acked: false };
  await control.mark('broadcast_end');
  const openAfter = opened.clients.filter((c) => c.open).length;
  closeAll(opened.clients);
  return {
    op: 'connection',
    ops: opened.clients.length,
    held: open.length,
    target: opts.clients,
    stopped_by: opened.stoppedBy,
    dropped,
    duration_s: opened.elapsedMs / 1000,
    per_second: opened.clients.length / (opened.elapsedMs / 1000),
    latency_ms: summarize(opened.latencies),
    failures: opened.failures,
    dropped_before_broadcast: droppedBeforeBroadcast,
    open_after_broadcast: openAfter,
    broadcast: {
      received: res.received,
      expected: open.length,
      complete: res.complete,
      acked: res.acked,
      ms: res.ms,
    },
  };
}

// RSS and broadcast fan-out as the connections grow: open connections up to
// each step of opts.steps (held on, not reopened), let the server settle,
// mark `held@N` (the driver reads RSS and threads; it may answer `stop` when
// the next step would take the machine past what it can give), then
// opts.broadcasts broadcasts to every held client, one at a time, between
// `broadcast_start@N` and `broadcast_end@N` (several, so that the server's
// CPU per delivery is more than a clock tick or two). The curve ends early at
// a step that did not open all its connections or whose broadcasts did not
// reach everybody.
async function curveScenario(opts, control) {
  const fanOut = new FanOut();
  const data = 'x'.repeat(opts.payloadBytes);
  let dropped = 0;
  let seq = 0;
  const clients = [];
  const steps = [];
  let stoppedBy = 'done';
  await control.mark('start');
  for (let i = 0; i < opts.steps.length; i += 1) {
    const target = opts.steps[i];
    const opened = await openMany(opts.port, Math.max(0, target - clients.length), openOptions(opts, {
      deadlineMs: opts.seconds * 1000,
      maxFailures: Math.max(100, Math.ceil(target / 10)),
      onEvent: fanOut.onEvent,
      onClose: () => { dropped += 1; },
    }));
    clients.push(...opened.clients);
    await sleep(opts.settleMs);
    const open = clients.filter((c) => c.open);
    const next = i + 1 < opts.steps.length ? opts.steps[i + 1] : null;
    const answer = await control.mark(`held@${target}`, { held: open.length, next });
    // The newest connection triggers them, as in max.
    const controller = open[open.length - 1];
    const times = [];
    let received = 0;
    let complete = controller !== undefined;
    await control.mark(`broadcast_start@${target}`);
    for (let b = 0; b < opts.broadcasts && complete; b += 1) {
      const res = await fanOut.trigger(controller, { seq: seq++, room: null, data }, open.length, opts.fanoutTimeoutMs);
      times.push(res.ms);
      received += res.received;
      complete = res.complete;
    }
    await control.mark(`broadcast_end@${target}`);
    steps.push({
      target,
      held: open.length,
      opened: opened.clients.length,
      connect_s: opened.elapsedMs / 1000,
      stopped_by: opened.stoppedBy,
      failures: opened.failures,
      dropped,
      broadcast: {
        received, expected: open.length * times.length, complete, ms: summarize(times).p50, broadcasts: times.length,
      },
    });
    if (opened.stoppedBy !== 'count') stoppedBy = `step ${target}: opening stopped by ${opened.stoppedBy}`;
    else if (!complete) stoppedBy = `step ${target}: broadcast incomplete`;
    else if (answer === 'stop' && next !== null) stoppedBy = `before ${next}: the driver's thread budget`;
    if (stoppedBy !== 'done') break;
  }
  closeAll(clients);
  return { op: 'connection', ops: clients.length, steps, stopped_by: stoppedBy, dropped };
}

// The same scenario on the long-polling transport.
function overPolling(scenario) {
  return (opts, control) => scenario({ ...opts, transport: 'polling' }, control)
    .then((figures) => ({ ...figures, transport: 'polling' }));
}

module.exports = {
  connect: connectScenario,
  'connect-polling': overPolling(connectScenario),
  echo: echoScenario,
  'echo-polling': overPolling(echoScenario),
  broadcast: broadcastScenario,
  'broadcast-polling': overPolling(broadcastScenario),
  rooms: roomsScenario,
  max: maxScenario,
  curve: curveScenario,
  soak: soakScenario,
};
