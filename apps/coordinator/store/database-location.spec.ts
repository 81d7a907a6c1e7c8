import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeStore, redactDatabaseUrl } from './database-location.js';

await test('a PostgreSQL URL is shown without its password; an SQLite file as its path', () => {
  assert.equal(
    describeStore('postgres://mlfarm:s3cret@db:5432/farm'),
    'PostgreSQL postgres://mlfarm:***@db:5432/farm (replicas may share it)',
  );
  assert.equal(
    describeStore('/var/lib/mlfarm/mlfarm.sqlite'),
    'SQLite /var/lib/mlfarm/mlfarm.sqlite (one coordinator)',
  );
  assert.equal(redactDatabaseUrl('postgresql://u@h/d'), 'postgresql://u@h/d');
  assert.doesNotMatch(redactDatabaseUrl('postgres://u:p%20w@[bad'), /p%20w/);
});
