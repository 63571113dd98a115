'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { grpc, status, NON_ASCII_MESSAGE, env, echoClient, healthClient, unary, collect, deadline } = require('../lib/interop');

describe('tls', () => {
  const target = env('LAIT_INTEROP_TLS_TARGET');
  const root = fs.readFileSync(env('LAIT_INTEROP_TLS_ROOT'));
  const serverName = process.env.LAIT_INTEROP_TLS_SERVER_NAME;
  const options = serverName ? { 'grpc.ssl_target_name_override': serverName } : {};
  const client = echoClient(target, grpc.credentials.createSsl(root), options);
  after(() => client.close());

  it('every call type over TLS', async () => {
    assert.equal((await unary(client, 'Unary', { message: NON_ASCII_MESSAGE })).response.message, NON_ASCII_MESSAGE);
    const stream = await collect(client.ServerStream({ repeat: 3 }, { deadline: deadline() }));
    assert.equal(stream.status.code, status.OK, stream.status.details);
    assert.equal(stream.responses.length, 3);
    assert.equal((await unary(client, 'ClientStream', null, { requests: [{}, {}] })).response.count, 2);
    const call = client.Bidi({ deadline: deadline() });
    const done = collect(call);
    call.write({});
    call.write({});
    call.end();
    assert.equal((await done).responses.length, 2);
  });

  it('error status over TLS', async () => {
    const err = await unary(client, 'Unary', { fail_code: 5, fail_message: NON_ASCII_MESSAGE }).then(() => null, (e) => e);
    assert.equal(err?.code, status.NOT_FOUND);
    assert.equal(err.details, NON_ASCII_MESSAGE);
  });

  it('health over TLS', async () => {
    const health = healthClient(target, grpc.credentials.createSsl(root));
    try {
      assert.equal((await unary(health, 'Check', { service: '' })).response.status, 'SERVING');
    } finally {
      health.close();
    }
  });

  it('a plaintext client cannot talk to the TLS port', async () => {
    const plain = echoClient(target);
    try {
      const err = await unary(plain, 'Unary', {}, { timeoutMs: 5000 }).then(() => null, (e) => e);
      assert.ok(err && [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.INTERNAL].includes(err.code), `got ${err?.code}`);
    } finally {
      plain.close();
    }
  });

  it('an untrusted certificate is rejected', async () => {
    const untrusting = echoClient(target, grpc.credentials.createSsl(), options); // system roots only
    try {
      const err = await unary(untrusting, 'Unary', {}, { timeoutMs: 5000 }).then(() => null, (e) => e);
      assert.equal(err?.code, status.UNAVAILABLE);
    } finally {
      untrusting.close();
    }
  });
});
