import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError, DomainErrorCode } from '#common';
import { ArtifactStore } from '../../apps/coordinator/artifacts/artifact-store.js';
import { UploadService } from '../../apps/coordinator/artifacts/upload.service.js';
import {
  type CoordinatorConfig,
  loadCoordinatorConfig,
} from '../../apps/coordinator/config/coordinator.config.js';
import type { ArtifactRepository } from '../../apps/coordinator/store/artifact.repository.js';
import type { Db } from '../../apps/coordinator/store/database.js';

const config: CoordinatorConfig = loadCoordinatorConfig({}, { dataDir: '/tmp/mlfarm-never-written' });
// Names are checked before anything reaches the database: an SQLite-like handle that is never used.
const neverUsedDb = { getExecutor: () => ({ adapter: {} }) } as unknown as Db;
const store = new ArtifactStore(config, neverUsedDb);
const uploads = new UploadService(store, {} as ArtifactRepository, config);
const invalid = (e: unknown) => e instanceof DomainError && e.code === DomainErrorCode.INVALID_REQUEST;

await test('artifact files are named by sha256 only: anything else never reaches a path', () => {
  for (const sha of ['../../etc/passwd', `${'a'.repeat(62)}/.`, 'A'.repeat(64), `${'a'.repeat(64)}\0`, '']) {
    assert.throws(() => store.pathOf(sha), invalid, JSON.stringify(sha));
  }
  const ok = 'ab'.repeat(32);
  assert.ok(store.pathOf(ok).startsWith('/tmp/mlfarm-never-written/artifacts/sha256/ab/'));
});

await test('upload names lose any folder part and are limited to a safe character set', () => {
  const meta = (name: string) => ({ name, sizeBytes: '10', sha256: '', kind: 1 });
  assert.equal(uploads.checkMetadata(meta('../../etc/passwd')).name, 'passwd');
  assert.equal(uploads.checkMetadata(meta('/abs/dir/model.onnx')).name, 'model.onnx');
  for (const name of [
    '..',
    'evil\nname.onnx',
    'nul\0.onnx',
    'semi;colon.onnx',
    '$(rm -rf).onnx',
    'x'.repeat(201),
  ]) {
    assert.throws(() => uploads.checkMetadata(meta(name)), invalid, JSON.stringify(name));
  }
  assert.throws(() => uploads.checkMetadata({ ...meta('m.onnx'), sha256: '../x' }), invalid);
});
