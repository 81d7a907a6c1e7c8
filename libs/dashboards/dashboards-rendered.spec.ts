import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { test } from 'node:test';
import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/schema';
import { METRIC } from '#metrics';
import { panelQueries, renderAllDashboards } from './dashboard-catalog.js';

// dist/libs/dashboards -> repository root
const DIR = new URL('../../../deploy/grafana/dashboards/', import.meta.url);
const rendered = renderAllDashboards();

await test('the committed dashboard JSON is what the code renders (run `npm run dashboards`)', async () => {
  const committed = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(committed, rendered.map((r) => r.file).sort());
  for (const { file, text } of rendered) {
    assert.equal(await readFile(new URL(file, DIR), 'utf8'), text, `${file} is stale`);
  }
});

/** The compile-time check: parsed JSON must go through @grafana/schema's Dashboard type to be used. */
function asSchemaDashboard(json: unknown): Dashboard {
  const d = json as Dashboard;
  assert.equal(typeof d.schemaVersion, 'number', 'schemaVersion is required');
  assert.equal(typeof d.title, 'string');
  assert.ok(Array.isArray(d.panels));
  return d;
}

function checkPanel(panel: Panel | RowPanel, file: string): void {
  assert.equal(typeof panel.type, 'string', `${file}: panel type`);
  assert.equal(typeof panel.id, 'number', `${file}: panel id`);
  const grid = panel.gridPos!;
  assert.ok(
    grid.w > 0 && grid.w <= 24 && grid.x + grid.w <= 24 && grid.h > 0,
    `${file}: gridPos of ${panel.title}`,
  );
  if (panel.type === 'row') {
    return;
  }
  const p = panel as Panel;
  assert.deepEqual(
    p.datasource,
    { type: 'prometheus', uid: 'mlfarm-prometheus' },
    `${file}: ${p.title} datasource`,
  );
  assert.ok((p.targets ?? []).length > 0, `${file}: ${p.title} has queries`);
  for (const target of p.targets ?? []) {
    assert.equal(typeof target.refId, 'string');
    assert.equal(typeof target.expr, 'string', `${file}: ${p.title} uses expr targets, not Graphite ones`);
    assert.equal('target' in target, false);
  }
}

function checkVariable(variable: VariableModel, file: string): void {
  assert.equal(typeof variable.name, 'string');
  assert.equal(variable.type, 'query', `${file}: ${variable.name}`);
  assert.equal(variable.datasource?.uid, 'mlfarm-prometheus');
}

await test('every committed dashboard satisfies the @grafana/schema Dashboard shape', async () => {
  for (const { file } of rendered) {
    const dashboard = asSchemaDashboard(JSON.parse(await readFile(new URL(file, DIR), 'utf8')));
    const ids = (dashboard.panels ?? []).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${file}: panel ids are unique`);
    for (const panel of dashboard.panels ?? []) {
      checkPanel(panel, file);
    }
    for (const variable of dashboard.templating?.list ?? []) {
      checkVariable(variable, file);
    }
  }
});

await test('the measurement dashboards filter by model, variant, agent and ep', () => {
  for (const { file, dashboard } of rendered.filter((r) => r.file !== 'farm-health.json')) {
    assert.deepEqual(
      (dashboard.templating?.list ?? []).map((v) => v.name),
      ['model', 'variant', 'agent', 'ep'],
      file,
    );
  }
});

await test('every query names a family the apps export (or a Prometheus built-in)', () => {
  const known = new Set<string>(Object.values(METRIC));
  const builtIns = new Set(['up', 'process_resident_memory_bytes']);
  for (const { file, dashboard } of rendered) {
    for (const { panel, expr } of panelQueries(dashboard)) {
      const names = [...expr.matchAll(/\b((?:mlfarm|grpc_server|process)_[a-z_]+|up)(?=\s*[{)[])/g)].map(
        (m) => m[1]!,
      );
      assert.ok(names.length > 0, `${file} / ${panel}: ${expr}`);
      for (const name of names) {
        const family = name.replace(/_(bucket|count|sum)$/, '');
        assert.ok(known.has(family) || builtIns.has(name), `${file} / ${panel}: unknown metric ${name}`);
      }
    }
  }
});
