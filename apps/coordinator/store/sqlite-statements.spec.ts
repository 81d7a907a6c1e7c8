import assert from 'node:assert/strict';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { StatementCache } from './sqlite-statements.js';

await test('compiled statements are reused, the least recently used dropped past the bound', () => {
  const sqlite = new SQLite(':memory:');
  try {
    const cache = new StatementCache(sqlite);
    const warm = cache.get('SELECT 0');
    const cold = cache.get('SELECT -1');
    assert.equal(cache.get('SELECT 0'), warm, 'the same text: the same compiled statement');
    // A run's INSERT has as many rows as tasks: texts that vary must not pile up.
    for (let i = 1; i <= 300; i++) {
      cache.get(`SELECT ${i}`);
      cache.get('SELECT 0'); // used all along: never the least recently used
    }
    assert.equal(cache.get('SELECT 0'), warm, 'kept');
    assert.notEqual(cache.get('SELECT -1'), cold, 'dropped, so compiled again');
    assert.deepEqual(cache.get('SELECT -1').get(), { '-1': -1 }, 'and it still runs');
  } finally {
    sqlite.close();
  }
});
