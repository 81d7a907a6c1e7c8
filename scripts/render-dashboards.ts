// Writes every dashboard of libs/dashboards to deploy/grafana/dashboards/*.json (what Grafana provisions).
// Usage: npm run dashboards  (a unit test fails while the committed files differ from this output)
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderAllDashboards } from '#dashboards';

const OUT = fileURLToPath(new URL('../../deploy/grafana/dashboards/', import.meta.url));

await mkdir(OUT, { recursive: true });
const rendered = renderAllDashboards();
const keep = new Set(rendered.map((r) => r.file));
for (const file of await readdir(OUT)) {
  if (file.endsWith('.json') && !keep.has(file)) {
    await rm(new URL(file, `file://${OUT}`)); // a dashboard removed from the code leaves no orphan behind
  }
}
for (const { file, text } of rendered) {
  await writeFile(`${OUT}${file}`, text);
  process.stdout.write(`wrote deploy/grafana/dashboards/${file}\n`);
}
