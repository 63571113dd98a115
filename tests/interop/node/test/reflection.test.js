'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { status, ECHO_SERVICE, reflectionClient, collect, deadline, protobuf, FileDescriptorProto } = require('../lib/interop');

for (const version of ['v1', 'v1alpha']) {
  describe(`reflection ${version}`, () => {
    const client = reflectionClient(version);
    after(() => client.close());

    async function ask(...requests) {
      const call = client.ServerReflectionInfo({ deadline: deadline() });
      const done = collect(call);
      for (const r of requests) call.write(r);
      call.end();
      const result = await done;
      assert.equal(result.status.code, status.OK, result.status.details);
      assert.equal(result.responses.length, requests.length);
      return result.responses;
    }

    function fileDescriptors(response) {
      assert.equal(response.message_response, 'file_descriptor_response', JSON.stringify(response));
      const files = response.file_descriptor_response.file_descriptor_proto.map((b) => FileDescriptorProto.decode(b));
      assert.ok(files.length > 0);
      return files;
    }

    it('lists services', async () => {
      const [response] = await ask({ list_services: '' });
      const names = response.list_services_response.service.map((s) => s.name);
      for (const expected of [ECHO_SERVICE, 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']) {
        assert.ok(names.includes(expected), `${expected} missing from ${names}`);
      }
    });

    it('file containing the Echo service is a usable descriptor', async () => {
      const [response] = await ask({ file_containing_symbol: ECHO_SERVICE });
      const files = fileDescriptors(response);
      const echoFile = files[0];
      assert.equal(echoFile.name, 'lait/test/v1/echo.proto');
      assert.equal(echoFile.package, 'lait.test.v1');
      const service = echoFile.service.find((s) => s.name === 'Echo');
      const methods = Object.fromEntries(service.method.map((m) => [m.name, m]));
      assert.deepEqual(Object.keys(methods).sort(), ['Bidi', 'ClientStream', 'GetStats', 'ServerStream', 'SetServing', 'Unary']);
      assert.ok(methods.Bidi.clientStreaming && methods.Bidi.serverStreaming);
      assert.ok(!methods.Unary.clientStreaming && !methods.Unary.serverStreaming);
      assert.equal(methods.Unary.inputType, '.lait.test.v1.EchoRequest');
      // Builds working types from it, as a dynamic client would.
      const root = protobuf.Root.fromDescriptor({ file: files });
      const EchoRequest = root.lookupType('lait.test.v1.EchoRequest');
      assert.ok(EchoRequest.fields.fail_message, 'EchoRequest.fail_message missing');
      const roundTrip = EchoRequest.decode(EchoRequest.encode(EchoRequest.create({ fail_message: 'x' })).finish());
      assert.equal(roundTrip.fail_message, 'x');
    });

    it('file containing message, method and health symbols', async () => {
      const responses = await ask(
        { file_containing_symbol: 'lait.test.v1.EchoRequest' },
        { file_containing_symbol: 'lait.test.v1.Echo.Bidi' },
        { file_containing_symbol: 'grpc.health.v1.Health' });
      assert.equal(fileDescriptors(responses[0])[0].name, 'lait/test/v1/echo.proto');
      assert.equal(fileDescriptors(responses[1])[0].name, 'lait/test/v1/echo.proto');
      assert.equal(fileDescriptors(responses[2])[0].package, 'grpc.health.v1');
    });

    it('file by filename', async () => {
      const [response] = await ask({ file_by_filename: 'lait/test/v1/echo.proto' });
      assert.equal(fileDescriptors(response)[0].package, 'lait.test.v1');
    });

    it('unknown symbol is NOT_FOUND in band', async () => {
      const [response] = await ask({ file_containing_symbol: 'no.such.Symbol' });
      assert.equal(response.message_response, 'error_response');
      assert.equal(response.error_response.error_code, status.NOT_FOUND);
    });

    it('answers in order on one stream', async () => {
      const responses = await ask({ list_services: '' }, { file_containing_symbol: 'no.such.Symbol' }, { file_containing_symbol: ECHO_SERVICE });
      assert.deepEqual(responses.map((r) => r.message_response), ['list_services_response', 'error_response', 'file_descriptor_response']);
      // grpcio's reflection echoes each request in original_request; Grpc.Reflection (the C#
      // server's package) leaves it unset. When it is set, it must be the request answered.
      if (responses[2].original_request) {
        assert.equal(responses[2].original_request.file_containing_symbol, ECHO_SERVICE);
      }
    });
  });
}
