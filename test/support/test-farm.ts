import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observable, lastValueFrom } from 'rxjs';
import {
  ArtifactKind,
  type GrpcClient,
  type Scenario,
  type SubmitRunRequest,
  type Target,
  type UploadModelRequest,
  type UploadModelResponse,
  type WatchRunResponse,
  createGrpcClient,
} from '#contracts';
import { type AgentHandle, startAgent } from '../../apps/agent/agent.bootstrap.js';
import { loadAgentConfig } from '../../apps/agent/config/agent.config.js';
import { type CoordinatorHandle, startCoordinator } from '../../apps/coordinator/coordinator.bootstrap.js';
import {
  type CoordinatorOverrides,
  loadCoordinatorConfig,
} from '../../apps/coordinator/config/coordinator.config.js';

export interface TestAgentSpec {
  name: string;
  labels?: string[];
  threads?: number;
  executionProviders?: string[];
}

/**
 * A real coordinator (SQLite in a temp folder, gRPC on 127.0.0.1) and real agents in this process;
 * runner children are real processes running real ONNX Runtime.
 */
export class TestFarm {
  client: GrpcClient;
  agents: AgentHandle[] = [];

  private constructor(
    readonly dataDir: string,
    public coordinator: CoordinatorHandle,
    private readonly overrides: CoordinatorOverrides,
    private readonly env: Record<string, string>,
  ) {
    this.client = this.connect(this.adminToken());
  }

  /** `env` is the coordinator's environment (MLFARM_AUTH=token, limits, TLS files...). */
  static async start(
    agentSpecs: TestAgentSpec[],
    overrides: CoordinatorOverrides = {},
    env: Record<string, string> = {},
  ): Promise<TestFarm> {
    const dataDir = await mkdtemp(join(tmpdir(), 'mlfarm-test-'));
    const all = {
      dataDir,
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
      ...overrides,
    };
    const coordinator = await startCoordinator(loadCoordinatorConfig(env, all), { logger: false });
    const farm = new TestFarm(dataDir, coordinator, all, env);
    for (const spec of agentSpecs) {
      await farm.addAgent(spec);
    }
    await farm.waitForAgents(agentSpecs.length);
    return farm;
  }

  async addAgent(spec: TestAgentSpec): Promise<AgentHandle> {
    const agent = await startAgent(
      loadAgentConfig(
        {},
        {
          coordinatorAddress: this.coordinator.grpcAddress,
          name: spec.name,
          labels: spec.labels ?? [],
          stateDir: join(this.dataDir, `agent-${spec.name}`),
          intraOpThreads: spec.threads ?? 0,
          executionProviders: spec.executionProviders ?? ['cpu', 'webgpu'],
          reconnectMinMs: 100,
          reconnectMaxMs: 500,
          enrollmentToken: this.enrollmentToken(),
        },
      ),
      { logger: false },
    );
    this.agents.push(agent);
    return agent;
  }

  async waitForAgents(count: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const { agents } = await lastValueFrom(this.client.coordinator.listAgents({}));
        return agents.filter((a) => a.connected).length >= count;
      },
      timeoutMs,
      `${count} connected agent(s)`,
    );
  }

  /** Stops the coordinator and starts a new one on the same data folder and port. */
  async restartCoordinator(): Promise<void> {
    this.client.close();
    await this.coordinator.close();
    const [, port] = /:(\d+)$/.exec(this.coordinator.grpcAddress)!;
    this.coordinator = await startCoordinator(
      loadCoordinatorConfig(this.env, { ...this.overrides, grpcPort: Number(port) }),
      { logger: false },
    );
    this.client = this.connect(this.adminToken());
  }

  /** With authentication on: the bootstrap admin token the coordinator wrote into its data folder. */
  adminToken(): string | undefined {
    const { auth } = this.coordinator.config;
    return auth.enabled ? readFileSync(auth.adminTokenFile, 'utf8').trim() : undefined;
  }

  enrollmentToken(): string | undefined {
    const { auth } = this.coordinator.config;
    return auth.enabled ? readFileSync(auth.enrollmentTokenFile, 'utf8').trim() : undefined;
  }

  /** A client of this farm's coordinator holding `token` (none: unauthenticated). */
  connect(token?: string): GrpcClient {
    return createGrpcClient(this.coordinator.grpcAddress, { bearer: token });
  }

  upload(
    bytes: Uint8Array,
    name: string,
    kind = ArtifactKind.ARTIFACT_KIND_MODEL,
  ): Promise<UploadModelResponse> {
    return uploadBytes(this.client, bytes, name, kind);
  }

  submit(
    request: Partial<Omit<SubmitRunRequest, 'target'>> & {
      models: SubmitRunRequest['models'];
      target?: Partial<Target>;
    },
  ) {
    return lastValueFrom(
      this.client.coordinator.submitRun({
        name: '',
        target: { ...EMPTY_TARGET, ...request.target },
        scenario: { ...FAST_SCENARIO, ...request.scenario },
        models: request.models,
        recipes: request.recipes ?? [],
      }),
    );
  }

  /** Collects every WatchRun event until the stream completes (the run ended). */
  watch(runId: string): Promise<WatchRunResponse[]> {
    return collect(this.client.coordinator.watchRun({ runId }));
  }

  async close(): Promise<void> {
    this.client.close();
    for (const agent of this.agents) {
      await agent.close();
    }
    await this.coordinator.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export const EMPTY_TARGET: Target = {
  labels: [],
  executionProviders: [],
  agents: [],
  anyOneAgent: false,
  runtimes: [],
};

/** Small enough to finish in about a second on the detection model, large enough to be a real measurement. */
export const FAST_SCENARIO: Scenario = {
  warmupIterations: 1,
  iterations: 5,
  minDurationMs: 0,
  intraOpThreads: 0,
  interOpThreads: 0,
  graphOptimizationLevel: 0,
  skipProfile: false,
  profileIterations: 3,
  seed: 7,
  shapes: [{ input: 'x', dims: ['1', '3', '96', '96'] }],
  inputFiles: [],
  timeoutMs: 0,
};

export function uploadBytes(
  client: GrpcClient,
  bytes: Uint8Array,
  name: string,
  kind: ArtifactKind,
): Promise<UploadModelResponse> {
  const requests = new Observable<UploadModelRequest>((out) => {
    out.next({ metadata: { name, sizeBytes: String(bytes.length), sha256: '', kind } });
    for (let offset = 0; offset < bytes.length; offset += 256 * 1024) {
      out.next({ chunk: Buffer.from(bytes.subarray(offset, offset + 256 * 1024)) });
    }
    out.complete();
  });
  return lastValueFrom(client.coordinator.uploadModel(requests));
}

export function collect<T>(source: Observable<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    source.subscribe({ next: (item) => items.push(item), error: reject, complete: () => resolve(items) });
  });
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    ) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The gRPC error a call ended with (fails the test when the call succeeded). */
export async function grpcError(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await call;
  } catch (error) {
    return error as { code: number; details: string };
  }
  throw new Error('expected the call to fail');
}
