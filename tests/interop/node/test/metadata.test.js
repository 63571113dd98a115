'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, echoClient, metadataOf, unary, collect, deadline } = require('../lib/interop');

const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const headers = [['x-ascii', 'value with spaces, punctuation: ;=!'], ['x-data-bin', binary], ['other-header', 'not echoed']];
const echoHeaders = [['x-echo-alpha', 'first value'], ['x-echo-beta-bin', Buffer.from('\x00\xff\x10binary', 'latin1')]];

function checkMap(response) {
  assert.equal(response.metadata['x-ascii'], 'value with spaces, punctuation: ;=!');
  assert.ok(Buffer.from(response.metadata['x-data-bin'], 'base64').equals(binary));
  assert.ok(!('other-header' in response.metadata));
}

function checkEchoed(initial, trailing) {
  assert.ok(initial, 'no response headers');
  assert.deepEqual(initial.get('x-echo-alpha'), ['first value']);
  assert.deepEqual(initial.get('x-echo-beta-bin'), [Buffer.from('\x00\xff\x10binary', 'latin1')]);
  assert.deepEqual(trailing.get('x-echo-alpha-trailer'), ['first value']);
}

describe('metadata', () => {
  const client = echoClient();
  after(() => client.close());

  it('unary headers reach the handler', async () => {
    const { response } = await unary(client, 'Unary', {}, { metadata: metadataOf(headers) });
    checkMap(response);
  });

  it('unary echo headers come back as headers and trailers', async () => {
    const r = await unary(client, 'Unary', {}, { metadata: metadataOf(echoHeaders) });
    checkEchoed(r.headers, r.status.metadata);
  });

  it('server stream headers and trailers', async () => {
    const r = await collect(client.ServerStream({ repeat: 2 }, metadataOf([...headers, ...echoHeaders]), { deadline: deadline() }));
    assert.equal(r.status.code, status.OK, r.status.details);
    assert.equal(r.responses.length, 2);
    r.responses.forEach(checkMap);
    checkEchoed(r.headers, r.status.metadata);
  });

  it('client stream headers and trailers', async () => {
    const r = await unary(client, 'ClientStream', null, { metadata: metadataOf([...headers, ...echoHeaders]), requests: [{}, {}] });
    checkMap(r.response);
    checkEchoed(r.headers, r.status.metadata);
  });

  it('bidi headers and trailers', async () => {
    const call = client.Bidi(metadataOf([...headers, ...echoHeaders]), { deadline: deadline() });
    const done = collect(call);
    call.write({});
    call.write({});
    call.end();
    const r = await done;
    assert.equal(r.status.code, status.OK, r.status.details);
    assert.equal(r.responses.length, 2);
    r.responses.forEach(checkMap);
    checkEchoed(r.headers, r.status.metadata);
  });

  it('trailers arrive with an error status', async () => {
    const err = await unary(client, 'Unary', { fail_code: 9, fail_message: 'with trailers' }, { metadata: metadataOf(echoHeaders) })
      .then(() => null, (e) => e);
    assert.equal(err?.code, status.FAILED_PRECONDITION);
    assert.equal(err.details, 'with trailers');
    assert.deepEqual(err.metadata.get('x-echo-alpha-trailer'), ['first value']);
  });

  it('a repeated header keeps every value in order', async () => {
    const r = await unary(client, 'Unary', {}, { metadata: metadataOf([['x-echo-multi', 'one'], ['x-echo-multi', 'two']]) });
    // Node's http2 joins repeated incoming fields with ", " (equivalent under HTTP semantics).
    // Grpc.AspNetCore hands a handler a repeated request header as one entry joined by ","
    // (equivalent in HTTP, RFC 9110 5.3); grpcio keeps two entries. Every value must arrive, in order.
    const values = (list) => list.join(',').split(',').map((v) => v.trim());
    assert.deepEqual(values(r.headers.get('x-echo-multi')), ['one', 'two']);
    assert.deepEqual(values(r.status.metadata.get('x-echo-multi-trailer')), ['one', 'two']);
  });

  it('a large header value round-trips', async () => {
    const value = 'v'.repeat(4000);
    const { response } = await unary(client, 'Unary', {}, { metadata: metadataOf([['x-large', value]]) });
    assert.equal(response.metadata['x-large'], value);
  });
});
