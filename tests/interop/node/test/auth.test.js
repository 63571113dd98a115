'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, env, echoClient, healthClient, metadataOf, unary, collect, deadline } = require('../lib/interop');

describe('auth', () => {
  const target = env('LAIT_INTEROP_AUTH_TARGET');
  const key = env('LAIT_INTEROP_API_KEY');
  const client = echoClient(target);
  after(() => client.close());
  const good = () => metadataOf([['authorization', `Bearer ${key}`]]);
  const none = () => metadataOf([]);
  const fails = (p) => p.then(() => null, (e) => e);

  async function codes(metadata) {
    const unaryCode = (await fails(unary(client, 'Unary', {}, { metadata: metadata() })))?.code ?? status.OK;
    const serverStream = (await collect(client.ServerStream({ repeat: 2 }, metadata(), { deadline: deadline() }))).status.code;
    const clientStream = (await fails(unary(client, 'ClientStream', null, { metadata: metadata(), requests: [{}] })))?.code ?? status.OK;
    const bidiCall = client.Bidi(metadata(), { deadline: deadline() });
    const bidiDone = collect(bidiCall);
    bidiCall.write({});
    bidiCall.end();
    const bidi = (await bidiDone).status.code;
    return [unaryCode, serverStream, clientStream, bidi];
  }

  it('a missing key is UNAUTHENTICATED for every call type', async () => {
    assert.deepEqual(await codes(none), Array(4).fill(status.UNAUTHENTICATED));
  });

  it('a wrong key is UNAUTHENTICATED', async () => {
    for (const value of [`Bearer ${key}x`, `Bearer ${key.slice(0, -1)}`, `Basic ${key}`, key, 'Bearer ']) {
      const err = await fails(unary(client, 'Unary', {}, { metadata: metadataOf([['authorization', value]]) }));
      assert.equal(err?.code, status.UNAUTHENTICATED, `authorization: ${value}`);
    }
  });

  it('the right key is accepted for every call type', async () => {
    assert.deepEqual(await codes(good), Array(4).fill(status.OK));
  });

  it('health is exempt', async () => {
    const health = healthClient(target);
    try {
      assert.equal((await unary(health, 'Check', { service: '' })).response.status, 'SERVING');
    } finally {
      health.close();
    }
  });
});
