'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, echoClient, unary, collect, reader, stats, waitCancelledAbove, sleep, deadline } = require('../lib/interop');

// grpc-js cancels with Node's Http2Stream.close(), which ends the request stream (END_STREAM) just
// before it sends RST_STREAM(CANCEL). A handler blocked on reading the next request therefore sees a
// clean end of the request stream first and may finish before the reset arrives. So the streaming
// cancels below land while the handler is in a cancellable delay (delay_ms), where only the
// cancellation token can wake it. (The Python suite covers a handler blocked on reading.)
describe('cancellation', () => {
  const client = echoClient();
  after(() => client.close());

  it('unary cancel reaches the handler', async () => {
    const before = (await stats(client)).cancelled_calls;
    let call;
    const result = new Promise((resolve) => {
      call = client.Unary({ delay_ms: 10000 }, { deadline: deadline(60000) }, (e) => resolve(e));
    });
    await sleep(1000); // let the call reach the handler's sleep
    call.cancel();
    assert.equal((await result)?.code, status.CANCELLED);
    await waitCancelledAbove(client, before);
  });

  it('server stream cancel mid-stream reaches the handler', async () => {
    const before = (await stats(client)).cancelled_calls;
    const call = client.ServerStream({ repeat: 100000, delay_ms: 20 }, { deadline: deadline(60000) });
    const done = collect(call);
    const messages = reader(call);
    for (let i = 0; i < 3; i++) await messages.next();
    call.cancel();
    assert.equal((await done).status.code, status.CANCELLED);
    await waitCancelledAbove(client, before);
  });

  it('client stream cancel mid-stream reaches the handler', async () => {
    const before = (await stats(client)).cancelled_calls;
    let call;
    const result = new Promise((resolve) => {
      call = client.ClientStream({ deadline: deadline(60000) }, (e) => resolve(e));
    });
    call.write({ message: 'a' });
    call.write({ message: 'b', delay_ms: 10000 });
    await sleep(1000); // let the handler read them and start the delay
    call.cancel();
    assert.equal((await result)?.code, status.CANCELLED);
    await waitCancelledAbove(client, before);
  });

  it('bidi cancel mid-stream reaches the handler', async () => {
    const before = (await stats(client)).cancelled_calls;
    const call = client.Bidi({ deadline: deadline(60000) });
    const done = collect(call);
    const messages = reader(call);
    for (let i = 0; i < 2; i++) {
      call.write({ message: `${i}` });
      await messages.next();
    }
    call.write({ message: 'slow', delay_ms: 10000 });
    await sleep(1000); // let the handler start the delay
    call.cancel();
    assert.equal((await done).status.code, status.CANCELLED);
    await waitCancelledAbove(client, before);
    assert.equal((await unary(client, 'Unary', { message: 'still here' })).response.message, 'still here');
  });
});
