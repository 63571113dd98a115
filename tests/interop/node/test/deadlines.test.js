'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, echoClient, plainTarget, unary, collect, stats, waitCancelledAbove, deadline, rawCall, echoFrame, WAIT_MS } = require('../lib/interop');

describe('deadlines', () => {
  const client = echoClient();
  after(() => client.close());

  it('unary past its deadline is DEADLINE_EXCEEDED and the server sees it', async () => {
    const before = (await stats(client)).cancelled_calls;
    const err = await unary(client, 'Unary', { delay_ms: 10000 }, { timeoutMs: 1500 }).then(() => null, (e) => e);
    assert.equal(err?.code, status.DEADLINE_EXCEEDED);
    await waitCancelledAbove(client, before);
  });

  it('unary within a generous deadline succeeds', async () => {
    const { response } = await unary(client, 'Unary', { message: 'quick' }, { timeoutMs: 60000 });
    assert.equal(response.message, 'quick');
  });

  it('server stream deadline mid-stream', async () => {
    const before = (await stats(client)).cancelled_calls;
    const r = await collect(client.ServerStream({ repeat: 10000, delay_ms: 50 }, { deadline: deadline(2000) }));
    assert.equal(r.status.code, status.DEADLINE_EXCEEDED);
    assert.ok(r.responses.length < 10000);
    await waitCancelledAbove(client, before);
  });

  it('client stream deadline while the client is still sending', async () => {
    const result = new Promise((resolve) => {
      const call = client.ClientStream({ deadline: deadline(700) }, (e) => resolve(e));
      call.write({ message: 'first' }); // never ends the stream
    });
    const err = await result;
    assert.equal(err?.code, status.DEADLINE_EXCEEDED);
  });

  it('bidi deadline while the server delays its reply', async () => {
    const call = client.Bidi({ deadline: deadline(700) });
    const done = collect(call);
    call.write({ message: 'slow', delay_ms: 10000 });
    const r = await done;
    assert.equal(r.status.code, status.DEADLINE_EXCEEDED);
    assert.equal(r.responses.length, 0);
    assert.equal((await unary(client, 'Unary', { message: 'still here' }, { timeoutMs: WAIT_MS })).response.message, 'still here');
  });

  // grpc-js (like every client) also runs its own deadline timer, so the tests above would pass
  // against a server that ignores grpc-timeout. These send grpc-timeout on raw HTTP/2 with no
  // client timer: the DEADLINE_EXCEEDED status must come from the server.
  it('the server itself enforces grpc-timeout on a unary call', async () => {
    const r = await rawCall(plainTarget(), '/lait.test.v1.Echo/Unary', [echoFrame({ delay_ms: 10000 })], { 'grpc-timeout': '300m' }, 8000);
    const grpcStatus = r.trailers['grpc-status'] ?? r.headers['grpc-status'];
    assert.equal(grpcStatus, String(status.DEADLINE_EXCEEDED), JSON.stringify({ headers: r.headers, trailers: r.trailers }));
  });

  it('the server itself enforces grpc-timeout mid-stream', async () => {
    const r = await rawCall(plainTarget(), '/lait.test.v1.Echo/ServerStream', [echoFrame({ repeat: 10000, delay_ms: 50 })], { 'grpc-timeout': '1S' }, 8000);
    const grpcStatus = r.trailers['grpc-status'] ?? r.headers['grpc-status'];
    assert.equal(grpcStatus, String(status.DEADLINE_EXCEEDED), JSON.stringify({ headers: r.headers, trailers: r.trailers }));
    assert.ok(r.body.length > 0, 'expected some messages before the deadline');
  });
});
