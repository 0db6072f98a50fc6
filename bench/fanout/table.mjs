// Reads the JSON lines of `wsgate bench fanout --json` runs and prints a markdown table
// of medians per (subscribers, target), with wsgate's ratio to each peer. "on / waiting
// for a CPU" are shares of the fan-out window (last delivery - first publish) the
// process spent running and runnable-but-waiting (other processes had the CPU). "RSS
// B/session" is the server's (RSS with the subscribers - before) / subscribers of the
// first run of each group: the one on a fresh server (later runs reuse its memory).
// usage: node table.mjs RESULTS.jsonl
import { readFileSync } from 'node:fs';

const runs = readFileSync(process.argv[2], 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const fmt = (x, digits = 0) =>
  x === null ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits });
const pct = (x) => (x === null ? 'n/a' : `${fmt(x * 100)}%`);
const ms = (us) => (us === null ? 'n/a' : fmt(us / 1000, 1));

const groups = new Map();
for (const r of runs) {
  const key = `${r.params.subscribers}\t${r.params.target}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(r);
}

const rows = [];
const summary = new Map();
for (const [key, rs] of groups) {
  const [n, target] = key.split('\t');
  const ok = rs.filter((r) => !r.failed);
  const s = {
    n: Number(n),
    target,
    runs: rs.length,
    failed: rs.length - ok.length,
    rate: ok[0]?.params.rate,
    messages: ok[0]?.params.messages,
    perS: median(ok.map((r) => r.rate)),
    p50: median(ok.map((r) => r.latency_us.p50)),
    p99: median(ok.map((r) => r.latency_us.p99)),
    max: ok.length ? Math.max(...ok.map((r) => r.latency_us.max ?? 0)) : null,
    serverNs: median(ok.map((r) => r.server_cpu_us_per_op && r.server_cpu_us_per_op * 1000)),
    serverCpu: median(ok.map((r) => r.server_cpu_share)),
    serverWait: median(ok.map((r) => r.server_wait_share)),
    clientCpu: median(ok.map((r) => r.client_cpu_share)),
    clientWait: median(ok.map((r) => r.client_wait_share)),
    errors: ok.reduce((a, r) => a + r.errors, 0),
    expected: ok.reduce((a, r) => a + r.expected, 0),
    rss: rs[0].failed ? null : (rs[0].server_rss_bytes_per_conn ?? null),
  };
  summary.set(key, s);
  rows.push(s);
}

console.log(
  '| subscribers | server | msgs x rate/s | deliveries/s (median) | p50 ms | p99 ms | max ms | server CPU ns/delivery | server on / waiting for a CPU | client on / waiting for a CPU | server RSS B/session | errors / expected | wsgate deliveries/s ratio | wsgate p99 ratio |',
);
console.log('| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const s of rows) {
  const ours = summary.get(`${s.n}\twsgate`);
  const ratio = ours && s.target !== 'wsgate' && s.perS ? `${fmt(ours.perS / s.perS, 2)}x` : '';
  const p99 = ours && s.target !== 'wsgate' && s.p99 ? `${fmt(ours.p99 / s.p99, 3)}x` : '';
  const failed = s.failed ? ` (${s.failed} runs failed)` : '';
  console.log(
    `| ${fmt(s.n)} | ${s.target} | ${s.messages} x ${s.rate} | ${fmt(s.perS)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ${fmt(s.serverNs)} | ${pct(s.serverCpu)} / ${pct(s.serverWait)} | ${pct(s.clientCpu)} / ${pct(s.clientWait)} | ${fmt(s.rss)} | ${fmt(s.errors)} / ${fmt(s.expected)}${failed} | ${ratio} | ${p99} |`,
  );
}
