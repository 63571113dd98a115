// The TypeScript client against a real server (LAIT_ADDRESS).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { LaitClient, LaitError, LabelScore, SegmentAck } from '../src';
import { SEGMENT_ID, authServer, client, modelWithTask, unique } from './support';

const EVIDENCE = ['Water is wet.', 'Fire is hot.', 'The sky is blue.', 'Paris is the capital of France.'];

async function collect(acks: AsyncIterable<SegmentAck>): Promise<SegmentAck[]> {
  const list: SegmentAck[] = [];
  for await (const ack of acks) list.push(ack);
  return list;
}

async function rejectsWith(promise: Promise<unknown>, code: number): Promise<LaitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LaitError, `expected a LaitError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, the call succeeded`);
}

let c: LaitClient;
let labels: string[];
before(async () => {
  c = client();
  labels = (await c.describeModel()).labels;
});
after(() => c.close());

describe('models', () => {
  test('listModels names the default and describeModel agrees', async () => {
    const list = await c.listModels();
    const def = await c.describeModel();
    assert.equal(def.name, list.defaultModel);
    assert.deepEqual(list.models.find((m) => m.name === def.name), def);
    assert.ok(def.numLayers > 0 && def.towerLayers <= def.numLayers);
    assert.ok(def.labels.length > 0);
    assert.ok(def.tasks.includes('verify_claim'));
  });

  test('an unknown model is NOT_FOUND and named', async () => {
    const error = await rejectsWith(c.describeModel('no-such-model'), status.NOT_FOUND);
    assert.match(error.details, /no-such-model/);
    assert.equal(error.codeName, 'NOT_FOUND');
  });
});

describe('encodeSegments', () => {
  test('acks come in order with ids and tags', async () => {
    const acks = await collect(c.encodeSegments(EVIDENCE.map((text, i) => ({ text, tag: `t${i}` }))));
    assert.deepEqual(acks.map((a) => a.sequence), [0, 1, 2, 3]);
    assert.deepEqual(acks.map((a) => a.clientTag), ['t0', 't1', 't2', 't3']);
    for (const ack of acks) {
      assert.equal(ack.error, undefined);
      assert.match(ack.segmentId, SEGMENT_ID);
      assert.ok(ack.tokenCount > 2);
    }
    assert.equal(new Set(acks.map((a) => a.segmentId)).size, 4);
  });

  test('re-ingesting gives the same id, already stored', async () => {
    const text = `The cat is old ${unique()}.`;
    const [first] = await collect(c.encodeSegments([text]));
    const [again] = await collect(c.encodeSegments([text]));
    assert.equal(again.segmentId, first.segmentId);
    assert.equal(again.alreadyStored, true);
  });

  test('the role is part of the id', async () => {
    const [first] = await collect(c.encodeSegments(['The dog is big.'], { role: 'first' }));
    const [other] = await collect(c.encodeSegments(['The dog is big.'], { role: 'other' }));
    assert.notEqual(first.segmentId, other.segmentId);
  });

  test('a bad segment gets an error ack and the stream goes on', async () => {
    const acks = await collect(c.encodeSegments(['Ice is cold.', '   ', 'The moon is small.']));
    assert.equal(acks.length, 3);
    assert.equal(acks[0].error, undefined);
    assert.equal(acks[1].error?.code, status.INVALID_ARGUMENT);
    assert.equal(acks[1].segmentId, '');
    assert.equal(acks[2].error, undefined);
  });

  test('an async source is consumed no faster than acks allow', async () => {
    const window = 4;
    let pulled = 0;
    async function* sentences() {
      for (let i = 0; i < 200; i++) {
        pulled++;
        yield `The river is old ${i}.`;
      }
    }
    let received = 0;
    let mostAhead = 0;
    for await (const ack of c.encodeSegments(sentences(), { maxInFlight: window })) {
      assert.equal(ack.error, undefined);
      received++;
      // The client has taken `received` acks (this one's slot is already free).
      mostAhead = Math.max(mostAhead, pulled - received);
    }
    assert.equal(received, 200);
    assert.ok(mostAhead <= window, `${mostAhead} items were pulled ahead of their acks (window ${window})`);
  });

  test('an error thrown by the source reaches the caller after earlier acks', async () => {
    function* broken() {
      yield 'The sun is hot.';
      throw new Error('input broke');
    }
    const acks: SegmentAck[] = [];
    await assert.rejects(async () => { for await (const ack of c.encodeSegments(broken())) acks.push(ack); }, /input broke/);
    assert.equal(acks.length, 1);
  });

  test('leaving the loop early cancels the stream and closes the source', async () => {
    let closed = false;
    function* endless() {
      try {
        for (let i = 0; ; i++) yield `The star is new ${i}.`;
      } finally {
        closed = true;
      }
    }
    let first: SegmentAck | undefined;
    for await (const ack of c.encodeSegments(endless(), { maxInFlight: 2 })) {
      first = ack;
      break;
    }
    assert.equal(first?.error, undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(closed, true);
    assert.ok((await c.listModels()).models.length > 0);
  });

  test('a stream past its deadline is DEADLINE_EXCEEDED', async () => {
    async function* slow() {
      for (let i = 0; i < 100; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        yield `The moon is old ${i}.`;
      }
    }
    await rejectsWith(collect(c.encodeSegments(slow(), { timeoutMs: 500 })), status.DEADLINE_EXCEEDED);
  });

  test('named segments can be looked up, listed and deleted', async () => {
    const ns = `node-${unique()}`;
    const acks = await collect(c.encodeSegments([{ text: 'Grass is green.', name: 'b' }, { text: 'Rain falls from clouds.', name: 'a' }], { namespace: ns }));
    const found = await c.getSegments({ names: [{ namespace: ns, name: 'a' }, { namespace: ns, name: 'b' }, { namespace: ns, name: 'zzz' }] });
    assert.deepEqual(found.found.map((s) => s.segmentId), [acks[1].segmentId, acks[0].segmentId]);
    assert.deepEqual(found.missingNames, [{ namespace: ns, name: 'zzz' }]);
    const listed = [];
    for await (const s of c.listSegments(ns, { pageSize: 1 })) listed.push(s.name?.name);
    assert.deepEqual(listed, ['a', 'b']);
    assert.equal((await c.deleteSegments({ names: [{ namespace: ns, name: 'a' }] })).deleted, 1);
    const left = [];
    for await (const s of c.listSegments(ns)) left.push(s.name?.name);
    assert.deepEqual(left, ['b']);
  });

  test('get and delete by id', async () => {
    const [ack] = await collect(c.encodeSegments(['The bird can fly.']));
    const absent = '0'.repeat(64);
    const got = await c.getSegments({ ids: [ack.segmentId, absent], includeTokens: true });
    assert.deepEqual(got.found.map((s) => s.segmentId), [ack.segmentId]);
    assert.deepEqual(got.missingIds, [absent]);
    assert.equal(got.found[0].tokenIds.length, ack.tokenCount);
    assert.equal(got.found[0].role, 'other');
    const deleted = await c.deleteSegments({ ids: [ack.segmentId, absent] });
    assert.equal(deleted.deleted, 1);
    assert.deepEqual(deleted.notFoundIds, [absent]);
    assert.deepEqual((await c.getSegments({ ids: [ack.segmentId] })).missingIds, [ack.segmentId]);
  });

  test('an unknown model ends the stream with NOT_FOUND', async () => {
    const error = await rejectsWith(collect(c.encodeSegments(['Water is wet.'], { model: 'no-such-model' })), status.NOT_FOUND);
    assert.match(error.details, /no-such-model/);
  });

  test('a too long segment is an item error unless truncated', async () => {
    const limit = (await c.describeModel()).maxSegmentTokens;
    const text = Array(limit + 10).fill('water').join(' ');
    const [rejected, cut] = await collect(c.encodeSegments([text, { text, truncate: true }]));
    assert.notEqual(rejected.error, undefined);
    assert.equal(cut.error, undefined);
    assert.equal(cut.truncated, true);
    assert.equal(cut.tokenCount, limit);
  });

  test('a malformed id is INVALID_ARGUMENT', async () => {
    await rejectsWith(c.getSegments({ ids: ['not-an-id'] }), status.INVALID_ARGUMENT);
  });
});

describe('encodeDocument', () => {
  test('sentences come back in order with offsets into the document', async () => {
    const doc = 'Water is wet. Fire is hot!\nThe sky is blue.';
    const sentences = await c.encodeDocument(doc);
    assert.equal(sentences.length, 3);
    for (const s of sentences) {
      assert.match(s.segmentId, SEGMENT_ID);
      assert.equal(doc.slice(s.charStart, s.charEnd), s.text);
    }
    const again = await c.encodeDocument(doc);
    assert.deepEqual(again.map((s) => s.segmentId), sentences.map((s) => s.segmentId));
    assert.ok(again.every((s) => s.alreadyStored));
    const [ack] = await collect(c.encodeSegments([sentences[0].text]));
    assert.equal(ack.segmentId, sentences[0].segmentId);
  });

  test('an empty document is INVALID_ARGUMENT', async () => {
    await rejectsWith(c.encodeDocument(''), status.INVALID_ARGUMENT);
  });
});

describe('combine', () => {
  function assertScores(scores: LabelScore[]) {
    assert.deepEqual(scores.map((s) => s.label), labels);
    assert.ok(Math.abs(scores.reduce((sum, s) => sum + s.probability, 0) - 1) < 1e-4);
  }

  test('verifyClaim against stored ids ranks every evidence', async () => {
    const ids = (await collect(c.encodeSegments(EVIDENCE))).map((a) => a.segmentId);
    const [claim] = await collect(c.encodeSegments(['Water is wet.'], { role: 'first' }));
    const result = await c.verifyClaim(claim.segmentId, ids);
    assert.ok(labels.includes(result.verdict));
    assertScores(result.verdictScores);
    assert.equal(result.aggregation, 'max_confidence');
    assert.deepEqual(result.evidence.map((e) => e.rank), [1, 2, 3, 4]);
    assert.deepEqual(result.evidence.map((e) => e.index).sort(), [1, 2, 3, 4]);
    for (const e of result.evidence) {
      assert.equal(e.segmentId, ids[e.index - 1]);
      assert.ok(labels.includes(e.label));
      assertScores(e.scores);
    }
    assert.deepEqual(result.segmentIds, [claim.segmentId, ...ids]);
  });

  test('verifyClaim with inline texts matches stored ids', async () => {
    const ids = (await collect(c.encodeSegments(EVIDENCE.slice(0, 2)))).map((a) => a.segmentId);
    const byId = await c.verifyClaim('Water is wet.', ids, { aggregation: 'mean' });
    const byText = await c.verifyClaim({ text: 'Water is wet.' }, EVIDENCE.slice(0, 2).map((text) => ({ text })), { aggregation: 'mean' });
    assert.equal(byText.aggregation, 'mean');
    assert.equal(byText.verdict, byId.verdict);
    byId.verdictScores.forEach((s, i) => assert.ok(Math.abs(s.probability - byText.verdictScores[i].probability) < 1e-4));
  });

  test('majority and topK', async () => {
    const result = await c.verifyClaim('The sky is blue.', EVIDENCE, { aggregation: 'majority', topK: 2 });
    assert.equal(result.aggregation, 'majority');
    assert.deepEqual(result.evidence.map((e) => e.rank), [1, 2]);
  });

  test('an unknown evidence id is NOT_FOUND and named', async () => {
    const absent = 'ab'.repeat(32);
    const error = await rejectsWith(c.verifyClaim('Water is wet.', [{ id: absent }]), status.NOT_FOUND);
    assert.match(error.details, new RegExp(absent));
  });

  test('classify returns a model label', async () => {
    const result = await c.classify(['Water is wet.', 'Water is not wet.']);
    assert.ok(labels.includes(result.label));
    assertScores(result.scores);
    const best = result.scores.reduce((a, b) => (b.probability > a.probability ? b : a));
    assert.equal(result.label, best.label);
  });

  test('answerYesNo', async (t) => {
    const model = await modelWithTask(t, c, 'yes_no', ['yes', 'true']);
    if (!model) return;
    const [passage] = await collect(c.encodeSegments(['Water is wet.'], { model: model.name }));
    const answer = await c.answerYesNo('Is water wet?', passage.segmentId, { model: model.name });
    assert.equal(answer.answer, answer.yesProbability > 0.5);
    assert.deepEqual(answer.scores.map((s) => s.label), model.labels);
    const inline = await c.answerYesNo('Is water wet?', 'Water is wet.', { model: model.name });
    assert.ok(Math.abs(inline.yesProbability - answer.yesProbability) < 1e-4);
  });

  test('extractAnswer returns spans of the passage', async (t) => {
    const model = await modelWithTask(t, c, 'extractive_qa');
    if (!model) return;
    const passage = 'Paris is the capital of France. The river is old.';
    const spans = await c.extractAnswer('What is the capital of France?', passage, { nBest: 3, maxAnswerTokens: 4, model: model.name });
    assert.equal(spans.length, 3);
    for (const span of spans) {
      assert.equal(span.segmentIndex, 1);
      assert.equal(passage.slice(span.charStart, span.charEnd), span.text);
    }
    assert.ok(spans[0].score >= spans[1].score);
  });
});

describe('auth', () => {
  test('the API key is sent as a bearer token', async (t) => {
    const server = authServer(t);
    if (!server) return;
    const keyed = new LaitClient(server.address, { apiKey: server.key, timeoutMs: 60000 });
    try {
      assert.ok((await keyed.listModels()).models.length > 0);
      const [ack] = await collect(keyed.encodeSegments(['Water is wet.']));
      assert.equal(ack.error, undefined);
    } finally {
      keyed.close();
    }
  });

  test('a missing or wrong key is UNAUTHENTICATED for calls and streams', async (t) => {
    const server = authServer(t);
    if (!server) return;
    for (const apiKey of [undefined, `${server.key}-wrong`]) {
      const unkeyed = new LaitClient(server.address, { apiKey, timeoutMs: 60000 });
      try {
        await rejectsWith(unkeyed.listModels(), status.UNAUTHENTICATED);
        await rejectsWith(collect(unkeyed.encodeSegments(['Water is wet.'])), status.UNAUTHENTICATED);
      } finally {
        unkeyed.close();
      }
    }
  });
});
