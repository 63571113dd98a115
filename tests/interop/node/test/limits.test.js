'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, env, echoClient, unary, collect, reader, deadline, requestSize, payloadForRequestSize, payloadForResponseSize } = require('../lib/interop');

describe('limits', () => {
  const client = echoClient();
  const gzipClient = echoClient(undefined, undefined, { 'grpc.default_compression_algorithm': 2 });
  after(() => { client.close(); gzipClient.close(); });
  const maxReceive = Number(env('LAIT_INTEROP_MAX_RECEIVE_BYTES'));
  const maxSend = Number(env('LAIT_INTEROP_MAX_SEND_BYTES'));
  const stillServes = async () => assert.equal((await unary(client, 'Unary', { message: 'still here' })).response.message, 'still here');
  const fails = (p) => p.then(() => null, (e) => e);

  it('unary request exactly at the receive limit is accepted', async () => {
    const p = payloadForRequestSize(maxReceive, { response_payload_size: 1 });
    assert.equal(requestSize({ payload: Buffer.alloc(p), response_payload_size: 1 }), maxReceive);
    const { response } = await unary(client, 'Unary', { payload: Buffer.alloc(p, 1), response_payload_size: 1 });
    assert.equal(response.payload.length, 1);
  });

  it('unary request one byte over the receive limit is RESOURCE_EXHAUSTED', async () => {
    const p = payloadForRequestSize(maxReceive, { response_payload_size: 1 }) + 1;
    assert.equal(requestSize({ payload: Buffer.alloc(p), response_payload_size: 1 }), maxReceive + 1);
    const err = await fails(unary(client, 'Unary', { payload: Buffer.alloc(p, 1), response_payload_size: 1 }));
    assert.equal(err?.code, status.RESOURCE_EXHAUSTED);
    await stillServes();
  });

  it('unary response exactly at the send limit is delivered', async () => {
    const { response } = await unary(client, 'Unary', { response_payload_size: payloadForResponseSize(maxSend) });
    assert.equal(response.payload.length, payloadForResponseSize(maxSend));
  });

  it('unary response one byte over the send limit is RESOURCE_EXHAUSTED', async () => {
    const err = await fails(unary(client, 'Unary', { response_payload_size: payloadForResponseSize(maxSend) + 1 }));
    assert.equal(err?.code, status.RESOURCE_EXHAUSTED);
    await stillServes();
  });

  it('server stream response over the send limit', async () => {
    const r = await collect(client.ServerStream({ repeat: 3, response_payload_size: payloadForResponseSize(maxSend) + 1 }, { deadline: deadline() }));
    assert.equal(r.status.code, status.RESOURCE_EXHAUSTED);
    assert.equal(r.responses.length, 0);
  });

  it('client stream: second request over the limit is RESOURCE_EXHAUSTED', async () => {
    const p = payloadForRequestSize(maxReceive);
    const err = await fails(unary(client, 'ClientStream', null, { requests: [{ payload: Buffer.alloc(p, 2) }, { payload: Buffer.alloc(p + 1, 2) }] }));
    assert.equal(err?.code, status.RESOURCE_EXHAUSTED);
  });

  it('bidi: at the limit, then over it', async () => {
    const p = payloadForRequestSize(maxReceive, { response_payload_size: 8 });
    const call = client.Bidi({ deadline: deadline() });
    const done = collect(call);
    const messages = reader(call);
    call.write({ payload: Buffer.alloc(p, 3), response_payload_size: 8 });
    assert.equal((await messages.next()).payload.length, 8);
    call.write({ payload: Buffer.alloc(p + 1, 3), response_payload_size: 8 });
    const r = await done;
    call.end();
    assert.equal(r.status.code, status.RESOURCE_EXHAUSTED);
  });

  it('gzip request over the limit once decompressed is RESOURCE_EXHAUSTED', async () => {
    const err = await fails(unary(gzipClient, 'Unary', { payload: Buffer.alloc(maxReceive + 1000), response_payload_size: 1 }));
    assert.equal(err?.code, status.RESOURCE_EXHAUSTED);
    await stillServes();
  });
});
