'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const http2 = require('node:http2');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { status, NON_ASCII_MESSAGE, echoClient, plainTarget, unary, collect, deadline, EchoRequest, EchoResponse } = require('../lib/interop');

const GZIP = 2; // grpc-js compression algorithm key
const payload = Buffer.concat([Buffer.from('compressible '.repeat(8000)), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);

describe('compression', () => {
  const client = echoClient(undefined, undefined, { 'grpc.default_compression_algorithm': GZIP });
  after(() => client.close());

  it('unary gzip request and response', async () => {
    const { response } = await unary(client, 'Unary', { message: NON_ASCII_MESSAGE, payload });
    assert.ok(response.payload.equals(payload));
    assert.equal(response.message, NON_ASCII_MESSAGE);
  });

  it('server stream gzip', async () => {
    const r = await collect(client.ServerStream({ payload, repeat: 3 }, { deadline: deadline() }));
    assert.equal(r.status.code, status.OK, r.status.details);
    assert.deepEqual(r.responses.map((x) => x.payload.equals(payload)), [true, true, true]);
  });

  it('client stream gzip', async () => {
    const { response } = await unary(client, 'ClientStream', null, { requests: [0, 1, 2].map((i) => ({ message: `${i}`, payload })) });
    assert.deepEqual([response.count, response.message], [3, '0,1,2']);
  });

  it('bidi gzip', async () => {
    const call = client.Bidi({ deadline: deadline() });
    const done = collect(call);
    for (let i = 0; i < 3; i++) call.write({ message: `${i}`, payload });
    call.end();
    const r = await done;
    assert.equal(r.status.code, status.OK, r.status.details);
    assert.deepEqual(r.responses.map((x) => [x.index, x.payload.equals(payload)]), [[0, true], [1, true], [2, true]]);
  });

  it('incompressible payload with gzip', async () => {
    const random = crypto.randomBytes(50000);
    const { response } = await unary(client, 'Unary', { payload: random });
    assert.ok(response.payload.equals(random));
  });

  it('on the wire: a gzip request gets gzip-compressed response messages', async () => {
    // grpc-js hides grpc-encoding from the application, so this one speaks raw HTTP/2.
    const session = http2.connect(`http://${plainTarget()}`);
    try {
      const message = Buffer.from(EchoRequest.encode(EchoRequest.create({ message: 'wire', payload })).finish());
      const compressed = zlib.gzipSync(message);
      const frame = Buffer.alloc(5 + compressed.length);
      frame[0] = 1;
      frame.writeUInt32BE(compressed.length, 1);
      compressed.copy(frame, 5);
      const result = await new Promise((resolve, reject) => {
        const req = session.request({
          ':method': 'POST', ':path': '/lait.test.v1.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers',
          'grpc-encoding': 'gzip', 'grpc-accept-encoding': 'gzip',
        });
        let headers;
        let trailers = {};
        const chunks = [];
        req.on('response', (h) => { headers = h; });
        req.on('trailers', (t) => { trailers = t; });
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => resolve({ headers, trailers, body: Buffer.concat(chunks) }));
        req.on('error', reject);
        req.setTimeout(20000, () => reject(new Error('timeout')));
        req.end(frame);
      });
      assert.equal(result.trailers['grpc-status'], '0', `grpc-message: ${result.trailers['grpc-message']}`);
      assert.equal(result.headers['grpc-encoding'], 'gzip');
      const body = result.body;
      assert.equal(body[0], 1, 'response message is not flagged compressed');
      const length = body.readUInt32BE(1);
      assert.equal(body.length, 5 + length);
      assert.ok(length < payload.length / 10, `response was not really compressed (${length} bytes)`);
      const response = EchoResponse.decode(zlib.gunzipSync(body.subarray(5)));
      assert.equal(response.message, 'wire');
      assert.ok(Buffer.from(response.payload).equals(payload));
    } finally {
      session.close();
    }
  });
});
