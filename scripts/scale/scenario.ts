import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '#common';
import { POSTGRES_NODE_OPTIONS } from '../../apps/coordinator/v8-tuning.js';
import { freePort } from '../../test/support/cli-process.js';
import { trackDir } from './cleanup.js';
import { FarmClient, scrapeSums } from './farm-client.js';
import { Feeder } from './feeder.js';
import { LoadGenerator } from './load-generator.js';
import { nowMs } from './load-protocol.js';
import { type BenchOptions, LIVE_SAMPLES_CAP_PER_TASK, type ScenarioSpec } from './options.js';
import { createBenchDatabase } from './postgres.js';
import { RssSampler, cpuDelta, cpuMs, cpuMsOfNamed, machineBusyMs, rssMiB } from './proc-stats.js';
import { type PhaseResult, type ScenarioResult, quantile } from './report.js';
import { summarizeProfiles, summarizeSql } from './profile-summaries.js';
import { type Service, startBareServer, startCoordinator, tail } from './services.js';

/** Made once per benchmark and shared by every scenario. */
export interface SharedWorkload {
  modelBytes: Buffer;
  modelSha256: string;
  resultBody: Buffer;
  fingerprint: object;
}

const SAMPLES_METRIC = 'mlfarm_inference_latency_seconds_count';
/** Progress the coordinator dropped past its inbound backlog per agent (INBOUND_PROGRESS_LIMIT). */
const DROPPED_METRIC = 'mlfarm_stream_messages_dropped_total';
const DROPPED_INBOUND = 'stream="agent_inbound"';
/** Ingest phase: how long every agent may wait for the task it is to hold before the warm-up starts anyway. */
const INGEST_HOLD_TIMEOUT_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function log(scenario: string, text: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] [${scenario}] ${text}\n`);
}

interface Probe {
  at: number;
  cpu: (number | undefined)[];
  postgres?: Map<number, number>;
  generator: NodeJS.CpuUsage;
  machine: number;
  samples: number;
  samplesAt: number;
  /** Progress messages dropped by the coordinators so far (0 on the bare server, which has no such bound). */
  dropped: number;
  /** Per replica: its event-loop delay p99 and max since the previous scrape (NaN on the bare server). */
  loopP99Ms: number[];
  loopMaxMs: number[];
  /** Per replica: how long its scrape took, ms. */
  scrapeMs: number[];
}

/** Each replica's event-loop delay p99/max in the window, e.g. '12/48+9/40'. */
function loopDelays(r: PhaseResult): string {
  return r.serverLoopP99Ms
    .map((p99, i) => `${p99.toFixed(0)}/${(r.serverLoopMaxMs[i] ?? NaN).toFixed(0)}`)
    .join('+');
}

async function probe(services: Service[], postgres: boolean): Promise<Probe> {
  const at = nowMs();
  const cpu = await Promise.all(services.map((s) => cpuMs(s.pid)));
  const pg = postgres ? await cpuMsOfNamed('postgres') : undefined;
  const generator = process.cpuUsage();
  const machine = await machineBusyMs();
  // One scrape per replica: prom-client resets its event-loop delay histogram at every read, so what the
  // probe at a window's end reads covers that window.
  let samples = 0;
  let dropped = 0;
  const loopP99Ms: number[] = [];
  const loopMaxMs: number[] = [];
  const scrapeMs: number[] = [];
  for (const s of services) {
    const scrapeAt = nowMs();
    const [n, d, p99, max] = await scrapeSums(
      [s.httpAddress],
      [
        { metric: SAMPLES_METRIC },
        { metric: DROPPED_METRIC, labels: DROPPED_INBOUND },
        { metric: 'nodejs_eventloop_lag_p99_seconds' },
        { metric: 'nodejs_eventloop_lag_max_seconds' },
      ],
    );
    samples += n!;
    dropped += d!;
    loopP99Ms.push(p99! * 1000);
    loopMaxMs.push(max! * 1000);
    scrapeMs.push(nowMs() - scrapeAt);
  }
  const samplesAt = nowMs();
  return {
    at,
    cpu,
    postgres: pg,
    generator,
    machine,
    samples,
    samplesAt,
    dropped,
    loopP99Ms,
    loopMaxMs,
    scrapeMs,
  };
}

export async function runScenario(
  spec: ScenarioSpec,
  o: BenchOptions,
  shared: SharedWorkload,
  repeat: number,
): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    scenario: spec.name,
    bare: spec.store === 'bare',
    agents: o.agents,
    welcomed: 0,
    rssPeakMiB: [],
    runsSubmitted: 0,
    streamsEnded: 0,
    streamErrors: [],
    overlapping: 0,
    connectS: NaN,
    notes: [],
  };
  const slug = `${spec.store}-x${spec.replicas}-rep${repeat}`;
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-scale-'));
  const removeDir = trackDir(dir);
  const services: Service[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;
  let dbActivity: (() => Promise<string[]>) | undefined;
  let client: FarmClient | undefined;
  let generator: LoadGenerator | undefined;
  let feeder: Feeder | undefined;
  let rss: RssSampler | undefined;
  const profDirs: string[] = [];
  const sqlDirs: string[] = [];
  try {
    if (spec.store === 'bare') {
      services.push(
        await startBareServer(
          await freePort(),
          await freePort(),
          dir,
          shared.modelSha256,
          shared.modelBytes.length,
        ),
      );
    } else {
      let databaseUrl: string | undefined;
      if (spec.store === 'postgres') {
        const db = await createBenchDatabase(o.adminUrl);
        dropDatabase = db.drop;
        dbActivity = db.activity;
        databaseUrl = db.url;
        result.notes.push(`database ${db.name} (dropped at the end)`);
      }
      for (let r = 0; r < spec.replicas; r++) {
        const cpuProfDir = o.cpuProfDir ? join(o.cpuProfDir, `${slug}-r${r}`) : undefined;
        if (cpuProfDir) {
          await mkdir(cpuProfDir, { recursive: true });
          profDirs.push(cpuProfDir);
        }
        const sqlProfDir = o.sqlProfDir ? join(o.sqlProfDir, `${slug}-r${r}`) : undefined;
        if (sqlProfDir) {
          await mkdir(sqlProfDir, { recursive: true });
          sqlDirs.push(sqlProfDir);
        }
        // One after another: each runs the store's migrations at start.
        services.push(
          await startCoordinator({
            name: `coordinator-${r}`,
            grpcPort: await freePort(),
            httpPort: await freePort(),
            dataDir: join(dir, `data-${r}`),
            logDir: dir,
            databaseUrl,
            // On PostgreSQL the node options deploy/ sets (a --node-flag on the command line wins).
            extraEnv: {
              MLFARM_MAX_ACTIVE_RUNS_PER_CLIENT: String(o.maxActiveRuns),
              ...(databaseUrl ? { NODE_OPTIONS: POSTGRES_NODE_OPTIONS } : {}),
            },
            cpuProfDir,
            sqlProfDir,
            nodeFlags: o.nodeFlags,
          }),
        );
      }
      client = new FarmClient(services.map((s) => s.grpcAddress));
    }
    log(spec.name, `up: ${services.map((s) => `${s.name} pid ${s.pid} ${s.grpcAddress}`).join(', ')}`);
    rss = new RssSampler(services.map((s) => s.pid));
    rss.start();
    const sha256 = client ? await client.upload(shared.modelBytes, 'det.onnx') : shared.modelSha256;

    const pacedExecMs = Math.round((o.agents / o.rate) * 1000);
    generator = new LoadGenerator({
      addresses: services.map((s) => s.grpcAddress),
      agents: o.agents,
      workers: Math.min(o.workers, o.agents),
      agentIdPrefix: 'sim-',
      agentsPerChannel: o.agentsPerChannel,
      progressMessages: o.progressMessages,
      samplesPerProgress: o.samplesPerProgress,
      resultBody: shared.resultBody,
      fingerprint: shared.fingerprint,
      execMs: pacedExecMs,
      execSpread: o.execSpread,
      ingestSamplesPerTask: LIVE_SAMPLES_CAP_PER_TASK,
    });
    const gen = generator;
    const alive = (): void => {
      gen.check();
      for (const s of services) {
        if (!rssAlive(s)) {
          throw new Error(`${s.name} (pid ${s.pid}) died: ${tail(s.logFile, 1500)}`);
        }
      }
      const t = gen.totals();
      if (t.ended >= o.agents) {
        throw new Error(`every agent stream ended: ${t.errors.join('; ')}`);
      }
    };

    const connectStart = nowMs();
    gen.connect(o.connectBatch, o.connectEveryMs);
    let lastLog = connectStart;
    for (;;) {
      await sleep(100);
      alive();
      const t = gen.totals();
      if (t.welcomed + t.ended >= o.agents) {
        break;
      }
      if (nowMs() - connectStart > o.connectTimeoutS * 1000) {
        result.notes.push(`only ${t.welcomed} agents welcomed within ${o.connectTimeoutS} s`);
        break;
      }
      if (nowMs() - lastLog > 5000) {
        lastLog = nowMs();
        log(spec.name, `connecting: ${t.welcomed}/${o.agents} welcomed`);
      }
    }
    result.connectS = (nowMs() - connectStart) / 1000;
    result.welcomed = gen.totals().welcomed;
    if (client) {
      result.listed = (await client.connectedAgents()).size;
    }
    log(
      spec.name,
      `${result.welcomed} welcomed${result.listed === undefined ? '' : `, ${result.listed} listed`} in ${result.connectS.toFixed(1)} s`,
    );

    if (client) {
      // A run has one task per connected agent (of that replica, or of all if replicas share their agents).
      const runsAhead = o.ahead * spec.replicas;
      feeder = new Feeder(
        client,
        sha256,
        spec.replicas,
        o.ahead * o.agents,
        () => gen.totals().assigned,
        runsAhead,
      );
      await feeder.fill(runsAhead);
      feeder.start();
      log(spec.name, `${feeder.runs} runs (${feeder.submittedTasks} tasks) queued`);
    }

    const phase = async (
      name: string,
      execMs: number,
      warmupS: number,
      windowS: number,
      ingest = false,
    ): Promise<PhaseResult> => {
      gen.setExecMs(execMs);
      let allHeldS: number | undefined;
      if (ingest) {
        // Every agent must have been given a task (by a coordinator busy with the others' progress) before
        // the warm-up starts; bounded, and what it took is reported.
        gen.setIngest(true);
        const since = nowMs();
        await sleep(500); // the workers' ticks catch up
        for (;;) {
          const t = gen.totals();
          if (t.heldSinceIngest >= t.welcomed - t.ended) {
            allHeldS = (nowMs() - since) / 1000;
            break;
          }
          if (nowMs() - since > INGEST_HOLD_TIMEOUT_MS) {
            result.notes.push(
              `ingest: only ${t.heldSinceIngest} of ${t.welcomed - t.ended} agents had been given a task ` +
                `${INGEST_HOLD_TIMEOUT_MS / 1000} s after the phase began; measured anyway`,
            );
            break;
          }
          await sleep(100);
          alive();
        }
      }
      const start = nowMs() + warmupS * 1000;
      const end = start + windowS * 1000;
      const id = `${slug}-${name}`;
      gen.window(id, start, end);
      log(
        spec.name,
        ingest
          ? `${name}: every agent holds one task and streams progress (${o.samplesPerProgress} samples each); ` +
              `all held one ${allHeldS === undefined ? 'NOT within the limit' : `after ${allHeldS.toFixed(1)} s`}; ` +
              `warm-up ${warmupS} s, window ${windowS} s`
          : `${name}: fake execution ${execMs} ms${execMs > 0 ? ` ± ${Math.round(o.execSpread * 100)} %` : ''}, warm-up ${warmupS} s, window ${windowS} s`,
      );
      while (nowMs() < start) {
        await sleep(Math.min(200, start - nowMs()));
        alive();
      }
      const holdingAtStart = gen.totals().holding;
      const before = await probe(services, spec.store === 'postgres');
      // Resident set during the window (VmRSS, sampled), apart from the whole scenario's peak.
      const windowRss = services.map(() => 0);
      const sampleRss = async (): Promise<void> => {
        for (const [i, s] of services.entries()) {
          windowRss[i] = Math.max(windowRss[i]!, (await rssMiB(s.pid))?.rss ?? 0);
        }
      };
      while (nowMs() < end) {
        await sampleRss();
        await sleep(Math.min(200, end - nowMs()));
        alive();
      }
      const after = await probe(services, spec.store === 'postgres');
      await sampleRss();
      const holdingAtEnd = gen.totals().holding;
      const stats = await gen.collect(id);
      const cpuWindowMs = after.at - before.at;
      const pct = (ms: number): number => (100 * ms) / cpuWindowMs;
      const generatorMs =
        (after.generator.user + after.generator.system - before.generator.user - before.generator.system) /
        1000;
      const tail = (q: number): string => quantile(stats.latencies, q).toFixed(0);
      const r: PhaseResult = {
        windowS,
        execMs,
        tasksPerS: stats.assignments / windowS,
        p50Ms: quantile(stats.latencies, 0.5),
        p99Ms: quantile(stats.latencies, 0.99),
        latencyCount: stats.latencies.length,
        samplesPerS: ((after.samples - before.samples) * 1000) / (after.samplesAt - before.samplesAt),
        samplesSentPerS: stats.samplesSent / windowS,
        resultsPerS: stats.resultsSent / windowS,
        serverCpuPct: services.map((_, i) => pct((after.cpu[i] ?? NaN) - (before.cpu[i] ?? NaN))),
        postgresCpuPct:
          before.postgres && after.postgres ? pct(cpuDelta(before.postgres, after.postgres)) : undefined,
        generatorCpuPct: pct(generatorMs),
        othersCpuPct: 0,
        generatorLoopP99Ms: stats.loopDelayP99Ms,
        serverLoopP99Ms: after.loopP99Ms,
        serverLoopMaxMs: after.loopMaxMs,
        serverScrapeMs: before.scrapeMs,
        rssMiB: windowRss,
      };
      if (ingest) {
        r.ingest = {
          allHeldS: allHeldS ?? NaN,
          streamingAgents: stats.streamingAgents,
          holdingAtStart,
          holdingAtEnd,
          droppedProgressPerS:
            ((after.dropped - before.dropped) * 1000) / (after.samplesAt - before.samplesAt),
          rotations: stats.rotations,
          drainWaitsPerS: stats.drainWaits / windowS,
        };
      }
      // Whatever else ran on the machine meanwhile (other people's tests on a shared box): read with care.
      r.othersCpuPct =
        pct(after.machine - before.machine) -
        r.serverCpuPct.reduce((a, b) => a + b, 0) -
        (r.postgresCpuPct ?? 0) -
        r.generatorCpuPct;
      const ig = r.ingest;
      log(
        spec.name,
        ig
          ? `${name}: ${r.samplesPerS.toFixed(0)} samples/s ingested (${r.samplesSentPerS.toFixed(0)} sent; ` +
              `${ig.droppedProgressPerS.toFixed(0)} progress/s dropped by the coordinator), ` +
              `${ig.streamingAgents} agents streamed in the window, ` +
              `${ig.holdingAtStart}/${ig.holdingAtEnd} holding a task at its start/end, ` +
              `${ig.rotations} rotated at the live cap, ${ig.drainWaitsPerS.toFixed(0)} drain waits/s, ` +
              `server CPU ${r.serverCpuPct.map((c) => c.toFixed(0)).join('+')} %, ` +
              `RSS ${r.rssMiB?.map((m) => m.toFixed(0)).join('+')} MiB, generator CPU ${r.generatorCpuPct.toFixed(0)} % ` +
              `(loop delay p99 ${r.generatorLoopP99Ms.toFixed(1)} ms)` +
              (r.postgresCpuPct === undefined ? '' : `, PostgreSQL CPU ${r.postgresCpuPct.toFixed(0)} %`) +
              `, others on this machine ${r.othersCpuPct.toFixed(0)} %`
          : `${name}: ${r.tasksPerS.toFixed(0)} tasks/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms ` +
              `(p90 ${tail(0.9)}, p95 ${tail(0.95)}, p99.9 ${tail(0.999)}, max ${tail(1)} ms), ` +
              `${r.samplesPerS.toFixed(0)} samples/s ingested (${r.samplesSentPerS.toFixed(0)} sent), ` +
              `server CPU ${r.serverCpuPct.map((c) => c.toFixed(0)).join('+')} % ` +
              `(loop delay p99/max ${loopDelays(r)} ms; /metrics read at the window's start in ` +
              `${r.serverScrapeMs.map((ms) => ms.toFixed(0)).join('+')} ms), ` +
              `generator CPU ${r.generatorCpuPct.toFixed(0)} % ` +
              `(loop delay p99 ${r.generatorLoopP99Ms.toFixed(1)} ms)` +
              (r.postgresCpuPct === undefined ? '' : `, PostgreSQL CPU ${r.postgresCpuPct.toFixed(0)} %`) +
              `, others on this machine ${r.othersCpuPct.toFixed(0)} %`,
      );
      return r;
    };

    /** Ends the ingest phase: every agent reports the task it held; waits (a while) for their acks. */
    const finishIngest = async (): Promise<void> => {
      gen.setExecMs(pacedExecMs);
      gen.setIngest(false);
      const deadline = nowMs() + 15_000;
      await sleep(500); // two ticks: the workers' counts include the results just sent
      let t = gen.totals();
      while (t.ingestFinishAcked < t.ingestFinished && nowMs() < deadline) {
        await sleep(200);
        alive();
        t = gen.totals();
      }
      log(spec.name, `ingest: ${t.ingestFinished} held tasks reported, ${t.ingestFinishAcked} acknowledged`);
      if (t.ingestFinishAcked < t.ingestFinished) {
        result.notes.push(
          `ingest: of the ${t.ingestFinished} held tasks reported after the window, ${t.ingestFinishAcked} ` +
            'were acknowledged within 15 s',
        );
      }
    };

    result.paced = await phase('paced', pacedExecMs, o.warmupS, o.windowS);
    if (o.saturatedWindowS > 0) {
      result.saturated = await phase('saturated', 0, o.saturatedWarmupS, o.saturatedWindowS);
    }
    if (o.ingestWindowS > 0) {
      result.ingest = await phase('ingest', 0, o.ingestWarmupS, o.ingestWindowS, true);
      const ig = result.ingest.ingest!;
      if (ig.streamingAgents < result.welcomed) {
        result.notes.push(
          `ingest: only ${ig.streamingAgents} of ${result.welcomed} agents streamed progress in the window`,
        );
      }
      if (ig.rotations > 0) {
        result.notes.push(
          `ingest: ${ig.rotations} held tasks reached the coordinator's live cap of ${LIVE_SAMPLES_CAP_PER_TASK} samples ` +
            'in the window and were reported, their agents then holding the next',
        );
      }
      await finishIngest();
    }
  } catch (e) {
    result.error = errorMessage(e);
    log(spec.name, `FAILED: ${result.error}`);
    if (dbActivity) {
      // Taken before anything is stopped: what the coordinators' connections were doing when it failed.
      const activity = await dbActivity().catch((err: unknown) => [`pg_stat_activity: ${errorMessage(err)}`]);
      result.notes.push(`PostgreSQL sessions at the failure: ${activity.join(' | ')}`);
      log(spec.name, `PostgreSQL sessions at the failure:\n  ${activity.join('\n  ')}`);
    }
  } finally {
    feeder?.stop();
    if (feeder) {
      result.runsSubmitted = feeder.runs;
      if (feeder.error) {
        result.notes.push(feeder.error);
      }
    }
    if (generator) {
      const t = generator.totals();
      result.streamsEnded = t.ended;
      result.streamErrors = t.errors;
      result.overlapping = t.overlapping;
      if (t.overlapping > 0) {
        result.notes.push(`${t.overlapping} assignments arrived while the agent still ran a task`);
      }
      if (t.ended > 0) {
        result.notes.push(`${t.ended} agent streams ended early: ${t.errors.join('; ')}`);
      }
      await generator.close();
    }
    client?.close();
    result.rssPeakMiB = rss ? await rss.stop() : [];
    await Promise.all(services.map((s) => s.stop()));
    for (const s of services) {
      const text = tail(s.logFile, 50_000_000);
      const errors = text.split('\n').filter((l) => /\bERROR\b/.test(l));
      if (errors.length > 0) {
        result.notes.push(
          `${s.name} logged ${errors.length} ERROR line(s), first: ${errors[0]!.slice(0, 300)}`,
        );
      }
      if (o.logsDir) {
        await mkdir(o.logsDir, { recursive: true });
        await copyFile(s.logFile, join(o.logsDir, `${slug}-${s.name}.log`));
      }
    }
    await dropDatabase?.();
    removeDir();
    result.cpuProfile = await summarizeProfiles(profDirs);
    result.sqlProfile = await summarizeSql(sqlDirs, generator?.totals().resultsSent ?? 0, spec.replicas);
  }
  return result;
}

function rssAlive(s: Service): boolean {
  try {
    process.kill(s.pid, 0);
    return true;
  } catch {
    return false;
  }
}
