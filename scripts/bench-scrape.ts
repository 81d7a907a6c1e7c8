// What one Prometheus scrape costs a coordinator that holds a thousand agents' series, and how long it
// keeps the event loop (every agent's messages) waiting. Two registries with the same families and values
// in one process: the reference keeps the last-result families as prom-client Gauges and is read with
// Registry.metrics() (as the coordinator did before), the other is the coordinator's own (LastValueGauge)
// read with renderExposition(), as /metrics serves it. Every last-result series gets a new result before
// each read, as under load. Rounds alternate the order. Results set the last-result gauges as they are
// recorded (ResultMetricsRecorder), outside the timed read.
// Scrapes run back to back here, so past the first few seconds they go in exposition.ts's late mode
// (a yield every 25 ms of work), not its paced start.
// Usage: node dist/scripts/bench-scrape.js [--agents=1000] [--rounds=6] [--op-rows=100]
import { performance } from 'node:perf_hooks';
import { Gauge, type LabelValues, type Registry } from 'prom-client';
import type { TaskResult } from '#contracts';
import {
  type CoordinatorMetrics,
  type FarmHealthSource,
  type GaugeChild,
  LastValueGauge,
  type ResultLabels,
  SeenIndexes,
  createCoordinatorMetrics,
  createMetricsRegistry,
  renderExposition,
} from '#metrics';
import { ResultMetricsRecorder } from '../apps/coordinator/metrics/result-metrics.recorder.js';
import { fingerprint } from './scale/agent-messages.js';
import { resultTemplate } from './scale/result-template.js';
import { intArg } from './script-args.js';

const AGENTS = intArg('agents', 1000);
const ROUNDS = intArg('rounds', 6);
const OP_ROWS = intArg('op-rows', 100);

interface Reading {
  /** CPU time of the read (this process runs nothing else meanwhile): the scrape's work. */
  ms: number;
  /** Wall time: longer than the work where the scrape pauses between slices (exposition.ts). */
  wallMs: number;
  /** Longest time the event loop could not run a setImmediate callback during the read. */
  longestBlockMs: number;
  bytes: number;
}

/** Runs `read` while a chain of setImmediate callbacks notes the longest gap between two of them. */
async function timed(read: () => Promise<string>): Promise<Reading> {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) {
      setImmediate(tick);
    }
  };
  setImmediate(tick);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const text = await read();
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - start;
  running = false;
  tick();
  return {
    ms: (used.user + used.system) / 1000,
    wallMs,
    longestBlockMs: longest,
    bytes: Buffer.byteLength(text),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The coordinator's metrics with every LastValueGauge family swapped for a prom-client Gauge, whose
 * child(labels) is prom-client's labels(labels): each of its set() validates and hashes the labels again.
 */
function withPromClientGauges(registry: Registry, health: FarmHealthSource): CoordinatorMetrics {
  const metrics = createCoordinatorMetrics(registry, health);
  const swapped: Record<string, unknown> = { ...metrics };
  for (const [key, family] of Object.entries(metrics)) {
    if (family instanceof LastValueGauge) {
      registry.removeSingleMetric(family.name);
      const gauge = new Gauge({
        name: family.name,
        help: family.help,
        labelNames: [...family.labelNames],
        registers: [registry],
      });
      swapped[key] = Object.assign(gauge, {
        child: (labels: LabelValues<string>): GaugeChild => {
          const child = gauge.labels(labels);
          return { set: (value) => child.set(value), remove: () => gauge.remove(labels) };
        },
      });
    }
  }
  return swapped as unknown as CoordinatorMetrics;
}

function farm(agents: string[]): FarmHealthSource {
  return {
    agents: () =>
      agents.map((agent) => ({
        info: {
          agent,
          cpu_model: 'Bench CPU',
          cpu_cores: '2',
          arch: 'x64',
          os: 'linux',
          gpu: '',
          ort_version: '1.30.0',
          labels: 'pool=bench',
        },
        busy: true,
      })),
    taskCounts: () => Promise.resolve({ queued: 3000, leased: 1000, succeeded: 50_000 }),
  };
}

async function main(): Promise<void> {
  const agents = Array.from({ length: AGENTS }, (_, i) => `agent-${String(i).padStart(4, '0')}`);
  const template = resultTemplate(fingerprint(), 50, OP_ROWS) as TaskResult;
  const setups = [
    { name: 'prom-client Gauges, Registry.metrics() (before)', custom: false },
    { name: 'LastValueGauge, renderExposition() (now)', custom: true },
  ].map(({ name, custom }) => {
    const registry = createMetricsRegistry({ processMetrics: true });
    const metrics = custom
      ? createCoordinatorMetrics(registry, farm(agents))
      : withPromClientGauges(registry, farm(agents));
    const recorder = new ResultMetricsRecorder(metrics);
    return {
      name,
      read: () => (custom ? renderExposition(registry) : registry.metrics()),
      recordAll: (): void => {
        for (const agent of agents) {
          const labels: ResultLabels = {
            model: 'det.onnx',
            variant: 'original',
            agent,
            ep: 'cpu',
            runtime: '1.30.0',
          };
          recorder.record(labels, template, new SeenIndexes(), Date.now());
        }
      },
    };
  });
  const readings = new Map<string, Reading[]>(setups.map((x) => [x.name, []]));
  const names = setups.map((x) => x.name);
  for (let round = 0; round < ROUNDS; round++) {
    for (const setup of round % 2 === 0 ? setups : [...setups].reverse()) {
      setup.recordAll();
      readings.get(setup.name)!.push(await timed(setup.read));
    }
  }
  const rows = names.map((name) => {
    const r = readings.get(name)!;
    return {
      name,
      ms: median(r.map((x) => x.ms)),
      wallMs: median(r.map((x) => x.wallMs)),
      block: median(r.map((x) => x.longestBlockMs)),
      bytes: r[0]!.bytes,
    };
  });
  const ref = rows[0]!;
  process.stdout.write(
    `One scrape of ${AGENTS} agents' last-result series (${OP_ROWS} op rows each), median of ${ROUNDS} rounds\n` +
      '| reader | scrape work (CPU) ms | x reference | wall ms | longest event-loop block ms | x reference | bytes |\n' +
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
      rows
        .map(
          (r) =>
            `| ${r.name} | ${r.ms.toFixed(1)} | ${(r.ms / ref.ms).toFixed(2)} | ${r.wallMs.toFixed(0)} | ` +
            `${r.block.toFixed(1)} | ` +
            `${(r.block / ref.block).toFixed(2)} | ${r.bytes} |`,
        )
        .join('\n') +
      '\n',
  );
}

void main();
