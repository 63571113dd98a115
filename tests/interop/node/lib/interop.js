'use strict';
// Shared helpers for the Node interop suite: loads the protos at run time with
// @grpc/proto-loader (no generated code), reads the server settings from the environment
// (the same LAIT_INTEROP_* variables as the Python suite) and wraps grpc-js calls in promises.

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const LOAD_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

const echoDefinition = protoLoader.loadSync('lait/test/v1/echo.proto', {
  ...LOAD_OPTIONS, includeDirs: [path.join(REPO, 'tests', 'protos')],
});
const grpcDefinition = protoLoader.loadSync(
  ['grpc/health/v1/health.proto', 'grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'],
  { ...LOAD_OPTIONS, includeDirs: [path.join(REPO, 'protos')] });

const echoPackage = grpc.loadPackageDefinition(echoDefinition).lait.test.v1;
const grpcPackage = grpc.loadPackageDefinition(grpcDefinition).grpc;

const ECHO_SERVICE = 'lait.test.v1.Echo';
const WAIT_MS = 20000; // upper bound for anything the suite waits on; never a speed assertion
const NON_ASCII_MESSAGE = 'ungültige Eingabe: 数据 ✗ — 100% sûr %41 ok';
const LEAK_CANARY = 'leak-canary-7d1f';
// Text of the Echo handlers' exceptions (C# and the Python reference) and of stack traces.
const LEAK_MARKERS = [LEAK_CANARY, 'exploded', 'secret', '/etc/', 'InvalidOperation', 'RuntimeError', '   at ',
  'Traceback', '.cs:line', 'File "'];

/** Reads a setting; a missing one fails the test (an unconfigured area must not pass silently). */
function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: start the servers and export the LAIT_INTEROP_* settings ` +
      '(tests/interop/run_matrix.py or dotnet test tests/Lait.Interop.Tests do it)');
  }
  return value;
}

function deadline(ms = WAIT_MS) {
  return new Date(Date.now() + ms);
}

function plainTarget() {
  return env('LAIT_INTEROP_TARGET');
}

function echoClient(target = plainTarget(), credentials = grpc.credentials.createInsecure(), options = {}) {
  return new echoPackage.Echo(target, credentials, options);
}

function healthClient(target = plainTarget(), credentials = grpc.credentials.createInsecure()) {
  return new grpcPackage.health.v1.Health(target, credentials);
}

function reflectionClient(version, target = plainTarget()) {
  return new grpcPackage.reflection[version].ServerReflection(target, grpc.credentials.createInsecure());
}

function metadataOf(pairs) {
  const md = new grpc.Metadata();
  for (const [key, value] of pairs) md.add(key, value);
  return md;
}

/** A unary or client-streaming call as a promise of { response, headers, status }. */
function unary(client, method, request, { metadata = new grpc.Metadata(), timeoutMs = WAIT_MS, requests } = {}) {
  return new Promise((resolve, reject) => {
    let headers = null;
    let response;
    let failure;
    const callback = (error, value) => {
      if (error) failure = error;
      else response = value;
    };
    const call = requests === undefined
      ? client[method](request, metadata, { deadline: deadline(timeoutMs) }, callback)
      : client[method](metadata, { deadline: deadline(timeoutMs) }, callback);
    call.on('metadata', (md) => { headers = md; });
    call.on('status', (status) => {
      // 'status' comes after the callback; both are needed (trailers live on the status).
      setImmediate(() => (failure ? reject(Object.assign(failure, { headers, status })) : resolve({ response, headers, status })));
    });
    if (requests !== undefined) {
      for (const r of requests) call.write(r);
      call.end();
    }
  });
}

/** Collects a server-streaming or bidi call: { responses, headers, status, error }. Never rejects. */
function collect(call) {
  return new Promise((resolve) => {
    const responses = [];
    let headers = null;
    let error = null;
    call.on('metadata', (md) => { headers = md; });
    call.on('data', (r) => responses.push(r));
    call.on('error', (e) => { error = e; });
    call.on('status', (status) => setImmediate(() => resolve({ responses, headers, status, error })));
  });
}

/** Wraps a streaming call so that its messages can be awaited one at a time (ping-pong bidi). */
function reader(call) {
  const items = [];
  const waiters = [];
  let done = null;
  const settle = () => {
    while (waiters.length > 0 && (items.length > 0 || done)) {
      const { resolve, reject } = waiters.shift();
      if (items.length > 0) resolve(items.shift());
      else reject(done);
    }
  };
  call.on('data', (r) => { items.push(r); settle(); });
  call.on('error', (e) => { done = e; settle(); });
  call.on('end', () => { done = done || new Error('stream ended'); settle(); });
  return {
    next: () => new Promise((resolve, reject) => { waiters.push({ resolve, reject }); settle(); }),
  };
}

function stats(client) {
  return unary(client, 'GetStats', {}).then(({ response }) => response);
}

async function waitCancelledAbove(client, before) {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const now = (await stats(client)).cancelled_calls;
    if (now > before) return now;
    if (Date.now() > until) throw new Error(`server never counted the cancelled call (cancelled_calls stayed ${now})`);
    await sleep(50);
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

module.exports = {
  grpc, REPO, ECHO_SERVICE, WAIT_MS, NON_ASCII_MESSAGE, LEAK_CANARY, LEAK_MARKERS,
  env, deadline, plainTarget, echoClient, healthClient, reflectionClient, metadataOf,
  unary, collect, reader, stats, waitCancelledAbove, sleep,
  status: grpc.status,
};

// protobufjs (the library under proto-loader) for wire-level checks: message sizes, raw frames,
// and decoding the FileDescriptorProtos that reflection returns.
const protobuf = require('protobufjs');
const descriptor = require('protobufjs/ext/descriptor');

const echoRoot = new protobuf.Root().loadSync(path.join(REPO, 'tests', 'protos', 'lait', 'test', 'v1', 'echo.proto'), { keepCase: true });
const EchoRequest = echoRoot.lookupType('lait.test.v1.EchoRequest');
const EchoResponse = echoRoot.lookupType('lait.test.v1.EchoResponse');

function requestSize(fields) {
  return EchoRequest.encode(EchoRequest.create(fields)).finish().length;
}

function responseSize(fields) {
  return EchoResponse.encode(EchoResponse.create(fields)).finish().length;
}

/** Payload length p such that an EchoRequest with p payload bytes (plus `fields`) has `size` bytes. */
function payloadForRequestSize(size, fields = {}) {
  for (let p = size; p > 0; p--) {
    if (requestSize({ ...fields, payload: Buffer.alloc(p) }) === size) return p;
  }
  throw new Error(`no payload length gives ${size}`);
}

function payloadForResponseSize(size) {
  for (let p = size; p > 0; p--) {
    if (responseSize({ payload: Buffer.alloc(p) }) === size) return p;
  }
  throw new Error(`no payload length gives ${size}`);
}

module.exports.protobuf = protobuf;
module.exports.FileDescriptorProto = descriptor.FileDescriptorProto;
module.exports.EchoRequest = EchoRequest;
module.exports.EchoResponse = EchoResponse;
module.exports.requestSize = requestSize;
module.exports.payloadForRequestSize = payloadForRequestSize;
module.exports.payloadForResponseSize = payloadForResponseSize;

/**
 * One gRPC call on raw HTTP/2 (node:http2), for what grpc-js hides or enforces itself: frames,
 * grpc-encoding, and deadlines with no client-side timer. Resolves { headers, trailers, body }.
 */
function rawCall(target, path, frames, extraHeaders = {}, timeoutMs = WAIT_MS) {
  const http2 = require('node:http2');
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${target}`);
    session.on('error', reject);
    const req = session.request({
      ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extraHeaders,
    });
    let headers = {};
    let trailers = {};
    const chunks = [];
    req.on('response', (h) => { headers = h; });
    req.on('trailers', (t) => { trailers = t; });
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => { session.close(); resolve({ headers, trailers, body: Buffer.concat(chunks) }); });
    req.on('error', (e) => { session.close(); reject(e); });
    req.setTimeout(timeoutMs, () => { session.destroy(); reject(new Error(`no answer within ${timeoutMs} ms`)); });
    req.end(Buffer.concat(frames));
  });
}

/** A length-prefixed, uncompressed gRPC frame holding an EchoRequest. */
function echoFrame(fields) {
  const message = Buffer.from(EchoRequest.encode(EchoRequest.create(fields)).finish());
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

module.exports.rawCall = rawCall;
module.exports.echoFrame = echoFrame;
