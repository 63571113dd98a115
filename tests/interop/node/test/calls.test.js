'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { grpc, status, NON_ASCII_MESSAGE, echoClient, unary, collect, reader, deadline } = require('../lib/interop');

describe('calls', () => {
  const client = echoClient();
  after(() => client.close());

  it('unary echoes message and payload', async () => {
    const payload = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
    const { response } = await unary(client, 'Unary', { message: NON_ASCII_MESSAGE, payload });
    assert.equal(response.message, NON_ASCII_MESSAGE);
    assert.deepEqual(response.payload, payload);
    assert.equal(response.index, 0);
  });

  it('unary empty request gets empty response', async () => {
    const { response } = await unary(client, 'Unary', {});
    assert.equal(response.message, '');
    assert.equal(response.payload.length, 0);
  });

  it('server stream sends repeat responses in order', async () => {
    const r = await collect(client.ServerStream({ message: 's', payload: Buffer.from([0, 1]), repeat: 5 }, { deadline: deadline() }));
    assert.equal(r.status.code, status.OK, r.status.details);
    assert.deepEqual(r.responses.map((x) => x.index), [0, 1, 2, 3, 4]);
    assert.ok(r.responses.every((x) => x.message === 's' && x.payload.equals(Buffer.from([0, 1]))));
  });

  it('server stream with zero repeat ends OK without messages', async () => {
    const r = await collect(client.ServerStream({ message: 'none', repeat: 0 }, { deadline: deadline() }));
    assert.equal(r.status.code, status.OK, r.status.details);
    assert.equal(r.responses.length, 0);
  });

  it('client stream counts and joins messages', async () => {
    const { response } = await unary(client, 'ClientStream', null, { requests: [{ message: 'a' }, { message: 'b' }, { message: 'ç' }] });
    assert.equal(response.count, 3);
    assert.equal(response.message, 'a,b,ç');
  });

  it('client stream without requests counts zero', async () => {
    const { response } = await unary(client, 'ClientStream', null, { requests: [] });
    assert.equal(response.count, 0);
    assert.equal(response.message, '');
  });

  it('bidi replies to each request as it arrives', async () => {
    const call = client.Bidi({ deadline: deadline() });
    const done = collect(call);
    const messages = reader(call);
    for (let i = 0; i < 4; i++) {
      const payload = Buffer.alloc(i + 1, i);
      call.write({ message: `ping ${i}`, payload });
      const r = await messages.next(); // the reply must come before the next request is sent
      assert.deepEqual([r.message, r.index, r.payload], [`ping ${i}`, i, payload]);
    }
    call.end();
    const r = await done;
    assert.equal(r.status.code, status.OK, r.status.details);
    assert.equal(r.responses.length, 4);
  });

  it('bidi with no requests ends OK', async () => {
    const call = client.Bidi({ deadline: deadline() });
    const done = collect(call);
    call.end();
    const r = await done;
    assert.equal(r.status.code, status.OK, r.status.details);
    assert.equal(r.responses.length, 0);
  });

  it('many concurrent calls share one channel', async () => {
    const unaries = Array.from({ length: 32 }, (_, i) => unary(client, 'Unary', { message: `m${i}`, payload: Buffer.alloc(100, i) }));
    const streams = Array.from({ length: 4 }, (_, i) => collect(client.ServerStream({ message: `s${i}`, repeat: 10 }, { deadline: deadline() })));
    const results = await Promise.all(unaries);
    results.forEach((r, i) => assert.equal(r.response.message, `m${i}`));
    (await Promise.all(streams)).forEach((r, i) => {
      assert.equal(r.status.code, status.OK);
      assert.deepEqual(r.responses.map((x) => x.message), Array(10).fill(`s${i}`));
    });
  });

  it('unknown method is UNIMPLEMENTED', async () => {
    const generic = new grpc.Client(process.env.LAIT_INTEROP_TARGET, grpc.credentials.createInsecure());
    try {
      const err = await new Promise((resolve) => {
        generic.makeUnaryRequest('/lait.test.v1.Echo/NoSuchMethod', (x) => x, (x) => x, Buffer.alloc(0),
          { deadline: deadline() }, (e) => resolve(e));
      });
      assert.equal(err && err.code, status.UNIMPLEMENTED);
    } finally {
      generic.close();
    }
  });

  it('unknown service is UNIMPLEMENTED and the server keeps serving', async () => {
    const generic = new grpc.Client(process.env.LAIT_INTEROP_TARGET, grpc.credentials.createInsecure());
    try {
      const call = generic.makeBidiStreamRequest('/no.such.Service/Bidi', (x) => x, (x) => x, { deadline: deadline() });
      const done = collect(call);
      call.write(Buffer.alloc(0));
      call.end();
      assert.equal((await done).status.code, status.UNIMPLEMENTED);
    } finally {
      generic.close();
    }
    assert.equal((await unary(client, 'Unary', { message: 'still here' })).response.message, 'still here');
  });
});
