import { Observable, lastValueFrom, timeout } from 'rxjs';
import { ArtifactKind, type GrpcClient, type UploadModelRequest, createGrpcClient } from '#contracts';
import { RUN_SCENARIO } from './run-scenario.js';

/** A coordinator that does not answer a call within this long fails the scenario instead of hanging it. */
const CALL_TIMEOUT_MS = 60_000;

function timedOut(what: string): never {
  throw new Error(`${what}: no answer within ${CALL_TIMEOUT_MS / 1000} s`);
}

/** The client side of a benchmark farm: what `mlfarm bench` does (upload once, submit runs), plus reading. */
export class FarmClient {
  private readonly clients: GrpcClient[];

  constructor(grpcAddresses: string[]) {
    this.clients = grpcAddresses.map((a) => createGrpcClient(a));
  }

  /** UploadModel, 256 KiB chunks as the CLI sends them; returns the stored model's sha256. */
  async upload(bytes: Uint8Array, name: string): Promise<string> {
    const requests = new Observable<UploadModelRequest>((out) => {
      out.next({
        metadata: {
          name,
          sizeBytes: String(bytes.length),
          sha256: '',
          kind: ArtifactKind.ARTIFACT_KIND_MODEL,
        },
      });
      for (let offset = 0; offset < bytes.length; offset += 256 * 1024) {
        out.next({ chunk: Buffer.from(bytes.subarray(offset, offset + 256 * 1024)) });
      }
      out.complete();
    });
    const response = await lastValueFrom(
      this.clients[0]!.coordinator.uploadModel(requests).pipe(
        timeout({ first: CALL_TIMEOUT_MS, with: () => timedOut('UploadModel') }),
      ),
    );
    return response.sha256;
  }

  /** One run of the model on every connected agent of that replica (one task per agent); returns its task count. */
  async submit(replica: number, sha256: string, name: string): Promise<number> {
    const { run } = await lastValueFrom(
      this.clients[replica]!.coordinator.submitRun({
        name,
        target: { labels: [], executionProviders: ['cpu'], agents: [], anyOneAgent: false, runtimes: [] },
        scenario: RUN_SCENARIO,
        models: [{ sha256, name: 'det.onnx' }],
        recipes: [],
      }).pipe(timeout({ first: CALL_TIMEOUT_MS, with: () => timedOut(`SubmitRun on replica ${replica}`) })),
    );
    return run?.tasksTotal ?? 0;
  }

  /** Ids of the agents each replica lists as connected, merged. */
  async connectedAgents(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const client of this.clients) {
      const { agents } = await lastValueFrom(
        client.coordinator
          .listAgents({})
          .pipe(timeout({ first: CALL_TIMEOUT_MS, with: () => timedOut('ListAgents') })),
      );
      for (const a of agents) {
        if (a.connected) {
          ids.add(a.id);
        }
      }
    }
    return ids;
  }

  close(): void {
    for (const c of this.clients) {
      c.close();
    }
  }
}

export interface MetricQuery {
  metric: string;
  /** Only series whose labels contain this (e.g. 'stream="agent_inbound"'). */
  labels?: string;
}

/**
 * Per query, the sum of the metric over its series, from one scrape of each /metrics address: a scrape
 * of a coordinator with a thousand agents' series is itself work for it (and some gauges, such as the
 * event-loop delay, are reset by each read). NaN where unreadable.
 */
export async function scrapeSums(httpAddresses: string[], queries: MetricQuery[]): Promise<number[]> {
  const sums = queries.map(() => 0);
  for (const address of httpAddresses) {
    let text: string;
    try {
      text = await (await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
    } catch {
      return queries.map(() => NaN);
    }
    for (const line of text.split('\n')) {
      queries.forEach(({ metric, labels }, i) => {
        if (
          (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) &&
          (labels === undefined || line.slice(0, line.lastIndexOf(' ')).includes(labels))
        ) {
          sums[i]! += Number(line.slice(line.lastIndexOf(' ') + 1));
        }
      });
    }
  }
  return sums;
}
