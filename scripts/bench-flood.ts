// Coordinator memory under a flood (issue 6, backpressure): a real coordinator process, an agent that
// floods it with reports as fast as its stream takes them, stalled WatchRun clients that read nothing and
// one live watcher. Prints idle RSS, peak RSS during the flood, their ratio, and what was sent, delivered,
// coalesced or dropped. Run: node dist/scripts/bench-flood.js [--runs 3] [--messages 100000] [--stalled 8]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { lastValueFrom } from 'rxjs';
import { RunState } from '#contracts';
import { bundledModelPath } from '#common';
import { FloodAgent } from '../test/support/flood-agent.js';
import { FaultFarm } from '../test/support/fault-farm.js';
import { liveWatcher, rawClients, stalledWatcher } from '../test/support/raw-grpc.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    messages: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '64' },
    stalled: { type: 'string', default: '8' },
    // Caps the coordinator's V8 heap: if the flood were retained rather than garbage not yet collected,
    // a capped coordinator would die of "JavaScript heap out of memory" instead of finishing the run.
    'heap-mib': { type: 'string', default: '' },
  },
});
const RUNS = Number(values.runs);
const MESSAGES = Number(values.messages);
const SAMPLES = Number(values.samples);
const STALLED = Number(values.stalled);
const HEAP_MIB = values['heap-mib'];
const MIB = 2 ** 20;

async function rssOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) {
      continue;
    }
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

interface Row {
  idleMiB: number;
  peakMiB: number;
  ratio: number;
  sent: string;
  delivered: number;
  coalesced: number;
  inboundDropped: number;
  stalledEnded: string;
  floodS: number;
}

async function oneRun(): Promise<Row> {
  const farm = await FaultFarm.start({
    MLFARM_LEASE_MS: '60000',
    MLFARM_HEARTBEAT_MS: '5000',
    ...(HEAP_MIB ? { NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` } : {}),
  });
  const clients = rawClients(farm.grpcAddress);
  try {
    const pid = farm.coordinator.proc.pid!;
    const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');
    const agent = new FloodAgent(clients, 'flood-agent');
    for (;;) {
      const { agents } = await lastValueFrom(farm.client.coordinator.listAgents({}));
      if (agents.some((a) => a.id === 'flood-agent' && a.connected)) {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const runId = await farm.submit(det, 'flood');
    const task = await agent.nextAssignment();
    const watchers = Array.from({ length: STALLED }, () => stalledWatcher(clients, runId));
    const live = liveWatcher(clients, runId);
    await new Promise((r) => setTimeout(r, 1000));
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) {
      idle.push((await rssOf(pid)).rss);
      await new Promise((r) => setTimeout(r, 100));
    }
    const idleRss = idle.sort((a, b) => a - b)[5]!;

    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling && farm.coordinator.proc.exitCode === null) {
        peak = Math.max(peak, (await rssOf(pid).catch(() => ({ rss: 0 }))).rss);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const started = Date.now();
    const counts = await Promise.race([
      agent.flood(task, MESSAGES, SAMPLES),
      agent.ended.then((why) => {
        throw new Error(
          `the coordinator ended the flood (${why}):\n${farm.coordinator.stderrSoFar().slice(-1500)}`,
        );
      }),
    ]);
    const floodS = (Date.now() - started) / 1000;
    const liveOutcome = await live;
    sampling = false;
    await sampler;

    const run = await farm.getRun(runId);
    if (run.run!.state !== RunState.RUN_STATE_SUCCEEDED) {
      throw new Error(`the flooded run ended ${RunState[run.run!.state]}`);
    }
    const outcomes = await Promise.all(watchers.map((w) => w.resume()));
    const exhausted = outcomes.filter((o) => o.code === 8).length;
    const metrics = await (await fetch(farm.metricsUrl)).text();
    agent.close();
    return {
      idleMiB: idleRss / MIB,
      peakMiB: peak / MIB,
      ratio: peak / idleRss,
      sent: `${counts.progressSent}/${counts.startedSent}`,
      delivered: liveOutcome.events,
      coalesced: metricSum(metrics, 'mlfarm_stream_messages_dropped_total', {
        stream: 'watch_run',
        reason: 'coalesced',
      }),
      inboundDropped: metricSum(metrics, 'mlfarm_stream_messages_dropped_total', { stream: 'agent_inbound' }),
      stalledEnded: `${exhausted}/${STALLED}`,
      floodS,
    };
  } finally {
    clients.close();
    await farm.close();
  }
}

const rows: Row[] = [];
for (let i = 0; i < RUNS; i++) {
  rows.push(await oneRun());
}
const header = [
  'run',
  'idle RSS MiB',
  'peak RSS MiB',
  'peak/idle',
  'sent progress/started',
  'live watcher events',
  'coalesced (watchers)',
  'dropped (agent inbound)',
  'stalled ended RESOURCE_EXHAUSTED',
  'flood s',
];
const cells = rows.map((r, i) => [
  String(i + 1),
  r.idleMiB.toFixed(1),
  r.peakMiB.toFixed(1),
  r.ratio.toFixed(2),
  r.sent,
  String(r.delivered),
  String(r.coalesced),
  String(r.inboundDropped),
  r.stalledEnded,
  r.floodS.toFixed(1),
]);
const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
const line = (row: string[]): string => row.map((v, c) => v.padEnd(widths[c]!)).join('  ');
process.stdout.write(
  `coordinator RSS under a flood: ${MESSAGES} reports x ${SAMPLES} samples, ${STALLED} stalled watchers + 1 live` +
    `${HEAP_MIB ? `, coordinator heap capped at ${HEAP_MIB} MiB` : ''}\n`,
);
process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const row of cells) {
  process.stdout.write(`${line(row)}\n`);
}
