'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, LEAK_CANARY, LEAK_MARKERS, echoClient, unary, collect, reader, deadline } = require('../lib/interop');

function assertNoLeak(code, details) {
  assert.equal(code, status.INTERNAL);
  for (const marker of LEAK_MARKERS) {
    assert.ok(!(details || '').includes(marker), `handler exception text leaked into details: ${JSON.stringify(details)}`);
  }
}

describe('exceptions', () => {
  const client = echoClient();
  after(() => client.close());

  it('unary exception is INTERNAL without leak', async () => {
    const err = await unary(client, 'Unary', { message: LEAK_CANARY, throw_exception: true }).then(() => null, (e) => e);
    assertNoLeak(err?.code, err?.details);
    assert.equal((await unary(client, 'Unary', { message: 'still here' })).response.message, 'still here');
  });

  it('server stream exception after two messages', async () => {
    // repeat == fail_after: two messages arrive whether the throw comes at fail_after or at the end.
    const r = await collect(client.ServerStream({ message: LEAK_CANARY, repeat: 2, fail_after: 2, throw_exception: true }, { deadline: deadline() }));
    assert.deepEqual(r.responses.map((x) => x.index), [0, 1]);
    assertNoLeak(r.status.code, r.status.details);
  });

  it('client stream exception', async () => {
    const err = await unary(client, 'ClientStream', null, {
      requests: [{ message: 'fine' }, { message: LEAK_CANARY, throw_exception: true }],
    }).then(() => null, (e) => e);
    assertNoLeak(err?.code, err?.details);
  });

  it('bidi exception after one reply', async () => {
    const call = client.Bidi({ deadline: deadline() });
    const done = collect(call);
    const messages = reader(call);
    call.write({ message: 'fine' });
    assert.equal((await messages.next()).message, 'fine');
    call.write({ message: LEAK_CANARY, throw_exception: true });
    const r = await done;
    call.end();
    assertNoLeak(r.status.code, r.status.details);
    assert.equal((await unary(client, 'Unary', { message: 'still here' })).response.message, 'still here');
  });
});
