'use strict';
// One broadcast at a time: trigger it through a `bcast` event and wait until
// every expected client has the `news` message (or a timeout passes). Each
// message carries a sequence number, so a late copy of an earlier broadcast
// is not counted for the current one, and the room it was sent to, so a copy
// delivered outside that room is caught.

const { now } = require('./stats');

// Resolves true when `promise` settles first, false when `ms` passes first.
function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, ms, false); });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

class FanOut {
  constructor() {
    this.seq = -1;
    this.expected = 0;
    this.received = 0;
    this.late = 0; // copies of an earlier broadcast that arrived after its timeout
    this.wrongRoom = 0; // copies delivered to a client outside the target room
    this.allIn = () => {};
    this.onEvent = this.onEvent.bind(this);
  }

  onEvent(client, name, args) {
    if (name !== 'news') return;
    const message = args[0];
    if (message.room != null && message.room !== client.room) {
      this.wrongRoom += 1;
      return;
    }
    if (message.seq !== this.seq) {
      this.late += 1;
      return;
    }
    this.received += 1;
    if (this.received === this.expected) this.allIn();
  }

  // Sends `message` ({seq, room, data}) from `controller` and waits for
  // `expected` deliveries. `ms` is from the trigger until the last delivery.
  async trigger(controller, message, expected, timeoutMs) {
    this.seq = message.seq;
    this.expected = expected;
    this.received = 0;
    const allIn = new Promise((resolve) => { this.allIn = resolve; });
    const started = now();
    const acked = controller.emitWithAck('bcast', message, timeoutMs).then(() => true, () => false);
    const complete = expected === 0 || await within(allIn, timeoutMs);
    const ms = now() - started;
    return { ms, complete, received: this.received, acked: await acked };
  }
}

module.exports = { FanOut };
