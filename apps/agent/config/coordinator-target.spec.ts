import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coordinatorTarget } from './agent.config.js';

await test('one coordinator is host:port; replicas are a list of IP addresses, one gRPC channel', () => {
  const problems: string[] = [];
  assert.equal(coordinatorTarget('coordinator.example:50051', problems), 'coordinator.example:50051');
  assert.equal(coordinatorTarget('127.0.0.1:1, 127.0.0.1:2', problems), 'ipv4:127.0.0.1:1,127.0.0.1:2');
  assert.equal(coordinatorTarget('[::1]:1,[::1]:2', problems), 'ipv6:[::1]:1,[::1]:2');
  assert.deepEqual(problems, []);
});

await test('a list with host names, mixed families or a bad entry is a configuration error', () => {
  for (const [text, says] of [
    ['a.example:1,b.example:2', /must be IP addresses of one family/],
    ['127.0.0.1:1,[::1]:2', /must be IP addresses of one family/],
    ['127.0.0.1:1,nowhere', /'nowhere' is not host:port/],
  ] as const) {
    const problems: string[] = [];
    coordinatorTarget(text, problems);
    assert.equal(problems.length, 1, text);
    assert.match(problems[0]!, says);
  }
});
