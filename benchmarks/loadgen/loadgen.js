#!/usr/bin/env node
'use strict';
// Usage: node loadgen.js SCENARIO --port PORT [--clients N] [--seconds S] ...
// Scenarios: connect, echo, broadcast, rooms, max, curve, soak, and
// connect-polling, echo-polling, broadcast-polling (see scenarios.js).
// Prints JSON lines: marks, then {"result": {...}} (or {"error": "..."}).
// Every run is bounded: a hard timeout ends the process whatever happens.

const scenarios = require('./scenarios');
const { Control } = require('./control');

const DEFAULTS = {
  port: 0,
  clients: 1000, // connections the scenario opens
  concurrency: 50, // handshakes (or joins) in flight at a time
  connectSeconds: 120, // time bound for opening the scenario's connections
  timeoutMs: 10000, // one handshake, ack or fan-out
  fanoutTimeoutMs: 30000, // the single fan-out of the max scenario
  seconds: 10, // echo, soak: measured duration; max, curve (per step): time bound for opening
  maxOps: 10000000, // echo: bound on round trips
  repeats: 20, // broadcast/rooms: rounds of fan-outs
  rooms: 10,
  steps: [1000, 2000, 5000, 10000], // curve: connections held at each step (comma-separated)
  broadcasts: 3, // curve: broadcasts to all at each step
  slowShare: 0.01, // soak: share of the clients that stop reading
  intervalMs: 1000, // soak: one broadcast every
  reportS: 10, // soak: a mark with the figures so far every
  graceMs: 5000, // soak: wait for the last deliveries at most
  ackTimeoutMs: 30000, // soak: a broadcast's ack
  payloadBytes: 64,
  settleMs: 1000, // pause before reading memory of held connections
  hardTimeoutS: 300,
  sync: false, // wait for the driver at each mark
};

function parseArgs(argv) {
  const [scenario, ...rest] = argv;
  const opts = { ...DEFAULTS };
  for (let i = 0; i < rest.length; i += 1) {
    const flag = rest[i];
    if (!flag.startsWith('--')) throw new Error(`unexpected argument ${flag}`);
    const key = flag.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in DEFAULTS)) throw new Error(`unknown option ${flag}`);
    if (typeof DEFAULTS[key] === 'boolean') {
      opts[key] = true;
    } else if (Array.isArray(DEFAULTS[key])) {
      const values = String(rest[(i += 1)]).split(',').map(Number);
      if (!values.length || !values.every(Number.isFinite)) throw new Error(`${flag} needs numbers, comma-separated`);
      opts[key] = values;
    } else {
      const value = Number(rest[(i += 1)]);
      if (!Number.isFinite(value)) throw new Error(`${flag} needs a number`);
      opts[key] = value;
    }
  }
  if (!(scenario in scenarios)) {
    throw new Error(`scenario must be one of ${Object.keys(scenarios).join(', ')}`);
  }
  if (!opts.port) throw new Error('--port is required');
  return { scenario, opts };
}

function fail(message, code) {
  process.stdout.write(JSON.stringify({ error: message }) + '\n');
  process.exit(code);
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    fail(err.message, 2);
  }
  const { scenario, opts } = parsed;
  setTimeout(() => fail(`hard timeout after ${opts.hardTimeoutS} s`, 3), opts.hardTimeoutS * 1000).unref();
  const control = new Control(opts.sync);
  const cpuBefore = process.cpuUsage();
  try {
    const figures = await scenarios[scenario](opts, control);
    const cpu = process.cpuUsage(cpuBefore);
    control.result({ scenario, ...figures, loadgen_cpu_s: (cpu.user + cpu.system) / 1e6 });
    process.exit(0);
  } catch (err) {
    fail(err.message, 1);
  }
}

main();
