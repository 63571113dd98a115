'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, NON_ASCII_MESSAGE, echoClient, unary, collect, reader, deadline } = require('../lib/interop');

describe('errors', () => {
  const client = echoClient();
  after(() => client.close());

  it('unary error keeps a non-ASCII message', async () => {
    const err = await unary(client, 'Unary', { fail_code: 3, fail_message: NON_ASCII_MESSAGE }).then(() => null, (e) => e);
    assert.equal(err?.code, status.INVALID_ARGUMENT);
    assert.equal(err.details, NON_ASCII_MESSAGE);
  });

  it('control characters and percent signs survive grpc-message encoding', async () => {
    const text = 'tab\there\nnew line\r % %% %zz %41 \x7f end';
    const err = await unary(client, 'Unary', { fail_code: 3, fail_message: text }).then(() => null, (e) => e);
    assert.equal(err?.code, status.INVALID_ARGUMENT);
    assert.equal(err.details, text);
  });

  it('unary: every status code round-trips', async () => {
    for (let code = 2; code <= 16; code++) { // OK is no error; CANCELLED is tested with real cancellation
      const err = await unary(client, 'Unary', { fail_code: code, fail_message: `code ${code}` }).then(() => null, (e) => e);
      assert.equal(err?.code, code);
      assert.equal(err.details, `code ${code}`);
    }
  });

  it('server stream error before any message', async () => {
    const r = await collect(client.ServerStream({ repeat: 5, fail_code: 3, fail_after: 0, fail_message: NON_ASCII_MESSAGE }, { deadline: deadline() }));
    assert.equal(r.responses.length, 0);
    assert.equal(r.status.code, status.INVALID_ARGUMENT);
    assert.equal(r.status.details, NON_ASCII_MESSAGE);
  });

  it('server stream error after two messages', async () => {
    const r = await collect(client.ServerStream({ repeat: 5, fail_code: 3, fail_after: 2, fail_message: NON_ASCII_MESSAGE }, { deadline: deadline() }));
    assert.deepEqual(r.responses.map((x) => x.index), [0, 1]);
    assert.equal(r.status.code, status.INVALID_ARGUMENT);
    assert.equal(r.status.details, NON_ASCII_MESSAGE);
  });

  it('client stream error from a later request', async () => {
    const err = await unary(client, 'ClientStream', null, {
      requests: [{ message: 'a' }, { message: 'b' }, { fail_code: 3, fail_message: NON_ASCII_MESSAGE }],
    }).then(() => null, (e) => e);
    assert.equal(err?.code, status.INVALID_ARGUMENT);
    assert.equal(err.details, NON_ASCII_MESSAGE);
  });

  it('bidi error after two replies', async () => {
    const call = client.Bidi({ deadline: deadline() });
    const done = collect(call);
    const messages = reader(call);
    for (let i = 0; i < 2; i++) {
      call.write({ message: `${i}` });
      assert.equal((await messages.next()).index, i);
    }
    call.write({ fail_code: 3, fail_message: NON_ASCII_MESSAGE });
    const r = await done;
    call.end();
    assert.equal(r.status.code, status.INVALID_ARGUMENT);
    assert.equal(r.status.details, NON_ASCII_MESSAGE);
    assert.equal(r.responses.length, 2);
    assert.equal((await unary(client, 'Unary', { message: 'still here' })).response.message, 'still here');
  });
});
