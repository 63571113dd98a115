'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, ECHO_SERVICE, echoClient, healthClient, unary, reader, deadline } = require('../lib/interop');

describe('health', () => {
  const echo = echoClient();
  const health = healthClient();
  after(() => { echo.close(); health.close(); });
  const check = async (service) => (await unary(health, 'Check', { service })).response.status;
  const setServing = (service, serving) => unary(echo, 'SetServing', { service, serving });

  it('whole server and echo service are SERVING', async () => {
    assert.equal(await check(''), 'SERVING');
    assert.equal(await check(ECHO_SERVICE), 'SERVING');
  });

  it('check of an unknown service is NOT_FOUND', async () => {
    const err = await unary(health, 'Check', { service: 'no.such.Service' }).then(() => null, (e) => e);
    assert.equal(err?.code, status.NOT_FOUND);
  });

  it('check follows SetServing', async () => {
    try {
      await setServing(ECHO_SERVICE, false);
      assert.equal(await check(ECHO_SERVICE), 'NOT_SERVING');
    } finally {
      await setServing(ECHO_SERVICE, true);
    }
    assert.equal(await check(ECHO_SERVICE), 'SERVING');
  });

  it('watch reports transitions', async () => {
    const call = health.Watch({ service: ECHO_SERVICE }, { deadline: deadline(40000) });
    call.on('error', () => {}); // the cancel below ends it with CANCELLED
    const updates = reader(call);
    try {
      assert.equal((await updates.next()).status, 'SERVING');
      await setServing(ECHO_SERVICE, false);
      assert.equal((await updates.next()).status, 'NOT_SERVING');
      await setServing(ECHO_SERVICE, true);
      assert.equal((await updates.next()).status, 'SERVING');
    } finally {
      call.cancel();
      await setServing(ECHO_SERVICE, true);
    }
  });

  it('watch of an unknown service reports SERVICE_UNKNOWN', async () => {
    const call = health.Watch({ service: 'no.such.Service' }, { deadline: deadline() });
    call.on('error', () => {});
    try {
      assert.equal((await reader(call).next()).status, 'SERVICE_UNKNOWN');
    } finally {
      call.cancel();
    }
  });
});
