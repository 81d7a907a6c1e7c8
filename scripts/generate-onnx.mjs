// Regenerates libs/onnx/generated/onnx.ts from the vendored libs/onnx/proto/onnx.proto with ts-proto.
//
// buf runs in a throw-away directory with its own buf.yaml and template so the repo's buf.yaml (which
// owns proto/, the gRPC contract) never sees onnx.proto, and `buf lint` there never lints it.
// No protoc needed: buf compiles the proto itself and only calls the local ts-proto plugin.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const source = join(root, 'libs/onnx/proto/onnx.proto');
const outDir = join(root, 'libs/onnx/generated');

// forceLong=bigint: ONNX stores INT64_MAX in Slice/attribute ints, which forceLong=number rejects at decode
// time ("Value is larger than Number.MAX_SAFE_INTEGER") and forceLong=string makes every dim a string.
const tsProtoOptions = [
  'forceLong=bigint',
  'esModuleInterop=true',
  'importSuffix=.js',
  'useOptionals=messages',
  'env=node',
  'outputServices=false',
  'useDate=false',
  'outputJsonMethods=false',
  'outputPartialMethods=false',
  'outputTypeRegistry=false',
];

const work = mkdtempSync(join(tmpdir(), 'mlfarm-onnx-gen-'));
try {
  mkdirSync(join(work, 'in'));
  copyFileSync(source, join(work, 'in', 'onnx.proto'));
  writeFileSync(join(work, 'buf.yaml'), 'version: v2\nmodules:\n  - path: in\n');
  writeFileSync(
    join(work, 'buf.gen.yaml'),
    [
      'version: v2',
      'plugins:',
      `  - local: ${JSON.stringify(bin('protoc-gen-ts_proto'))}`,
      '    out: out',
      `    opt: ${JSON.stringify(tsProtoOptions.join(','))}`,
      '',
    ].join('\n'),
  );
  execFileSync(bin('buf'), ['generate'], { cwd: work, stdio: 'inherit' });

  // ts-proto stamps its own and protoc's version into the header; drop the protoc line so the output only
  // changes when the proto or ts-proto changes, not with whichever buf compiled it.
  const generated = readFileSync(join(work, 'out', 'onnx.ts'), 'utf8').replace(/^\/\/ {3}protoc .*\n/m, '');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'onnx.ts'), generated);
} finally {
  rmSync(work, { recursive: true, force: true });
}
