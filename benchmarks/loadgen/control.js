'use strict';
// The conversation with the driver (run.py) over stdin/stdout, one JSON
// object per line:
//   loadgen -> {"mark": "start"}      the driver samples the server's CPU
//   driver  -> ok                     time, RSS and threads, then answers
//   loadgen -> {"mark": "held@2000", "data": {...}}
//   driver  -> stop                   a mark may carry figures for the driver,
//                                     which may answer `stop` instead of `ok`
//   loadgen -> {"result": {...}}      the scenario's figures
// A mark blocks until the driver answers, so the CPU window it samples starts
// and ends exactly where the measured work does. Without --sync (running by
// hand) marks are printed and not waited for.

const readline = require('readline');

// Sampling /proc takes milliseconds; a driver silent for this long is gone.
const MARK_TIMEOUT_MS = 60000;

class Control {
  constructor(sync) {
    this.sync = sync;
    this.waiting = [];
    this.early = 0;
    if (sync) {
      const lines = readline.createInterface({ input: process.stdin });
      lines.on('line', (line) => {
        const resolve = this.waiting.shift();
        if (resolve) resolve(line.trim());
        else this.early += 1; // an answer typed ahead, by hand
      });
    }
  }

  // Resolves with the driver's answer: 'ok', or 'stop' where the driver
  // wants a stepped scenario to go no further.
  mark(name, data) {
    process.stdout.write(JSON.stringify(data === undefined ? { mark: name } : { mark: name, data }) + '\n');
    if (!this.sync) return Promise.resolve('ok');
    if (this.early > 0) {
      this.early -= 1;
      return Promise.resolve('ok');
    }
    let timer;
    const answered = new Promise((resolve) => this.waiting.push(resolve));
    const silence = new Promise((resolve, reject) => {
      timer = setTimeout(reject, MARK_TIMEOUT_MS, new Error(`no answer from the driver at mark ${name}`));
    });
    return Promise.race([answered, silence]).finally(() => clearTimeout(timer));
  }

  result(figures) {
    process.stdout.write(JSON.stringify({ result: figures }) + '\n');
  }
}

module.exports = { Control };
