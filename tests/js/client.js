#!/usr/bin/env node
'use strict';
// Test-client harness: drives the real JavaScript socket.io-client against a
// server under test. Commands arrive as JSON lines on stdin; every command gets
// exactly one reply line {id, ok, ...} on stdout, interleaved with unsolicited
// report lines {type: "event" | "disconnect" | "connect_error" | "error", sock, ...}.
// Bytes cannot travel in JSON, so Buffers are written as {"$bin": "<base64>"}
// in both directions, at any depth.

const readline = require('readline');

const MODULES = { 4: 'socket.io-client', 2: 'socket.io-client-v2', 1: 'socket.io-client-v1' };

/** handle -> {socket, version, listeners: Map<event, ackReply>, catchAll, hooked: Set<event>} */
const sockets = new Map();
let nextHandle = 1;

function write(msg) {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

function isBinary(value) {
  return Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function toBuffer(value) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Make a received value JSON-safe: bytes become {$bin}, functions (ack callbacks) vanish. */
function encode(value) {
  if (isBinary(value)) return { $bin: toBuffer(value).toString('base64') };
  if (Array.isArray(value)) return value.filter((v) => typeof v !== 'function').map(encode);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'function') out[k] = encode(v);
    }
    return out;
  }
  return value;
}

/** Turn {$bin} markers from the test into Buffers before they are sent. */
function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$bin' && typeof value.$bin === 'string') {
      return Buffer.from(value.$bin, 'base64');
    }
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v);
    return out;
  }
  return value;
}

function jsonSafe(value) {
  try {
    return value === undefined ? null : JSON.parse(JSON.stringify(encode(value)));
  } catch (err) {
    return String(value);
  }
}

/** A readable message from whatever a connect failure hands us (Error, string or object). */
function errorMessage(err) {
  if (typeof err === 'string') return err;
  if (err && typeof err.message === 'string') return err.message;
  return JSON.stringify(jsonSafe(err));
}

function getSocket(cmd) {
  const rec = sockets.get(cmd.sock);
  if (!rec) throw new Error(`unknown sock ${JSON.stringify(cmd.sock)}`);
  return rec;
}

function transportName(socket) {
  const engine = socket.io && socket.io.engine;
  return engine && engine.transport ? engine.transport.name : null;
}

/** Report an incoming event and answer the server's callback if the test asked us to. */
function deliver(handle, rec, event, args) {
  const ack = args.length && typeof args[args.length - 1] === 'function' ? args.pop() : null;
  const ackReply = rec.listeners.has(event) ? rec.listeners.get(event) : rec.catchAll;
  write({ type: 'event', sock: handle, event, args: encode(args) });
  if (ack && Array.isArray(ackReply)) ack(...decode(ackReply));
}

function hook(handle, rec, event) {
  if (rec.hooked.has(event)) return;
  rec.hooked.add(event);
  rec.socket.on(event, (...args) => deliver(handle, rec, event, args));
}

function installCatchAll(handle, rec) {
  if (rec.version === 4) {
    rec.socket.onAny((event, ...args) => {
      if (!rec.hooked.has(event)) deliver(handle, rec, event, args);
    });
    return;
  }
  // 1.x/2.x have no onAny: hook each event name the first time it arrives, so
  // the client's own machinery (ack callbacks, pre-connect buffering) still runs.
  const onevent = rec.socket.onevent;
  rec.socket.onevent = function (packet) {
    const data = packet.data || [];
    if (typeof data[0] === 'string') hook(handle, rec, data[0]);
    return onevent.call(this, packet);
  };
}

function connect(cmd) {
  const version = cmd.version === undefined ? 4 : Number(cmd.version);
  const moduleName = MODULES[version];
  if (!moduleName) throw new Error(`unsupported client version ${cmd.version}`);
  const io = require(moduleName);
  const options = { reconnection: false, ...(cmd.options || {}) };
  if (version !== 4 && options.auth !== undefined) {
    throw new Error(`the ${version}.x client has no auth option: pass credentials in query`);
  }
  const namespace = cmd.namespace || '/';
  const url = cmd.url.replace(/\/+$/, '') + (namespace === '/' ? '' : namespace);
  const handle = cmd.sock || `s${nextHandle++}`;
  if (sockets.has(handle)) throw new Error(`sock ${handle} already exists`);

  const socket = io(url, options);
  const rec = {
    socket,
    version,
    listeners: new Map(),
    catchAll: undefined,
    catchAllOn: false,
    hooked: new Set(),
  };
  sockets.set(handle, rec);
  // Events the server emits from its connect handler are delivered in the same
  // tick as 'connect': only listeners registered now can see them.
  for (const event of cmd.listen || []) addListener(handle, rec, event, undefined);

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message, data, description) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      sockets.delete(handle);
      const err = new Error(message);
      err.data = data;
      err.description = description;
      reject(err);
    };
    const timer = setTimeout(() => fail('timeout'), cmd.timeout_ms || 10000);

    socket.on('connect', () => {
      if (settled) {
        // A reconnection (reconnection: true): report it.
        write({ type: 'reconnect', sock: handle, sid: socket.id, recovered: Boolean(socket.recovered) });
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve({
        sock: handle,
        sid: socket.id,
        engine_sid: socket.io.engine.id,
        transport: transportName(socket),
      });
    });
    socket.on('disconnect', (reason) => write({ type: 'disconnect', sock: handle, reason }));
    // 4.x: server refusal (message + data) and transport failures both land here.
    // 1.x/2.x: only engine-level failures land here; a refusal arrives as 'error'.
    socket.on('connect_error', (err) => {
      const data = version === 4 ? jsonSafe(err && err.data) : null;
      // Transport errors carry the HTTP status (or a reason) as description.
      const raw = err && err.description;
      const description = typeof raw === 'number' || typeof raw === 'string' ? raw : null;
      write({ type: 'connect_error', sock: handle, error: errorMessage(err), data, description });
      fail(errorMessage(err), data, description);
    });
    if (version !== 4) {
      socket.on('error', (payload) => {
        const data = jsonSafe(payload);
        write({ type: 'error', sock: handle, error: errorMessage(payload), data });
        fail(errorMessage(payload), data);
      });
      socket.on('connect_timeout', () => fail('connect_timeout'));
      // 1.x/2.x say nothing when the engine closes before it opened (a websocket
      // accepted then dropped): fail now rather than at the timeout.
      const engine = socket.io.engine;
      if (engine) engine.once('close', (reason) => fail(`engine closed: ${reason}`));
    }
  });
}

function emit(cmd) {
  const { socket } = getSocket(cmd);
  // The client would buffer the packet until a reconnection that never comes
  // (reconnection is off by default): fail now instead of at the ack timeout.
  if (!socket.connected) throw new Error('socket is not connected');
  const args = decode(cmd.args || []);
  if (!cmd.ack) {
    socket.emit(cmd.event, ...args);
    return {};
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ack timeout')), cmd.timeout_ms || 5000);
    socket.emit(cmd.event, ...args, (...reply) => {
      clearTimeout(timer);
      resolve({ args: encode(reply) });
    });
  });
}

function addListener(handle, rec, event, ackReply) {
  if (event === '*') {
    rec.catchAll = ackReply;
    if (!rec.catchAllOn) {
      rec.catchAllOn = true;
      installCatchAll(handle, rec);
    }
  } else {
    rec.listeners.set(event, ackReply);
    hook(handle, rec, event);
  }
}

function listen(cmd) {
  addListener(cmd.sock, getSocket(cmd), cmd.event, cmd.ack_reply == null ? undefined : cmd.ack_reply);
  return {};
}

function disconnect(cmd) {
  const { socket } = getSocket(cmd);
  socket.disconnect();
  sockets.delete(cmd.sock);
  return {};
}

function transport(cmd) {
  return { transport: transportName(getSocket(cmd).socket) };
}

/** Drop the transport under the socket, as a network blip does (4.x: it reconnects). */
function cut(cmd) {
  getSocket(cmd).socket.io.engine.close();
  return {};
}

/** The socket as the client sees it now. */
function state(cmd) {
  const { socket } = getSocket(cmd);
  return { sid: socket.id || null, connected: socket.connected, recovered: Boolean(socket.recovered) };
}

function exit() {
  for (const { socket } of sockets.values()) socket.close();
  sockets.clear();
  setImmediate(() => process.exit(0));
  return {};
}

const COMMANDS = { connect, emit, listen, disconnect, transport, cut, state, exit };

async function run(line) {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (err) {
    write({ id: null, ok: false, error: `bad JSON: ${err.message}` });
    return;
  }
  try {
    const handler = COMMANDS[cmd.cmd];
    if (!handler) throw new Error(`unknown cmd ${JSON.stringify(cmd.cmd)}`);
    const result = await handler(cmd);
    write({ id: cmd.id, ok: true, ...result });
  } catch (err) {
    const reply = { id: cmd.id, ok: false, error: err.message };
    if (err.data !== undefined) reply.data = err.data;
    if (err.description != null) reply.description = err.description;
    write(reply);
  }
}

readline.createInterface({ input: process.stdin }).on('line', run).on('close', exit);
