// Rebuilds every generated file from its .proto source: libs/contracts from proto/ (buf.gen.yaml) and
// libs/onnx from its vendored onnx.proto. Generated folders are replaced whole so nothing stale survives.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buf = join(root, 'node_modules', '.bin', 'buf');

rmSync(join(root, 'libs/contracts/generated'), { recursive: true, force: true });
execFileSync(buf, ['generate'], { cwd: root, stdio: 'inherit' });

const onnxScript = join(root, 'scripts', 'generate-onnx.mjs');
if (existsSync(onnxScript)) {
  execFileSync(process.execPath, [onnxScript], { cwd: root, stdio: 'inherit' });
}
