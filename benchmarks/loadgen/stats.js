'use strict';
// Small helpers for latency figures and error tallies.

// Percentile by nearest rank over an unsorted array of numbers (ms).
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function summarize(values) {
  if (values.length === 0) return { count: 0, p50: null, p99: null, max: null, mean: null };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

// Counts of each distinct error message, so 5000 timeouts print as one line.
class Tally {
  constructor() {
    this.total = 0;
    this.counts = {};
  }

  add(message) {
    this.total += 1;
    this.counts[message] = (this.counts[message] || 0) + 1;
  }
}

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { summarize, Tally, now, sleep };
