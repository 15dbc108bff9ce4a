'use strict';
// The conversation with the driver (run.py) over stdin/stdout, one JSON
// object per line:
//   loadgen -> {"mark": "start"}      the driver samples the server's CPU
//   driver  -> ok                     time, RSS and threads, then answers
//   loadgen -> {"result": {...}}      the scenario's figures
// A mark blocks until the driver answers, so the CPU window it samples starts
// and ends exactly where the measured work does. Without --sync (running by
// hand) marks are printed and not waited for.

const readline = require('readline');

class Control {
  constructor(sync) {
    this.sync = sync;
    this.waiting = [];
    if (sync) {
      const lines = readline.createInterface({ input: process.stdin });
      lines.on('line', () => {
        const resolve = this.waiting.shift();
        if (resolve) resolve();
      });
    }
  }

  mark(name) {
    process.stdout.write(JSON.stringify({ mark: name }) + '\n');
    if (!this.sync) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  result(figures) {
    process.stdout.write(JSON.stringify({ result: figures }) + '\n');
  }
}

module.exports = { Control };
