// Runs the examples (built into dist/examples) against the server and checks what they print.
import { after, before, beforeEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { LaitClient } from '../src';
import { client, modelWithTask, unique } from './support';

const EXAMPLES = path.join(__dirname, '..', 'examples');
const INGEST_LINE = /^([0-9a-f]{64}) {2}(new|already_stored) +(\S.*)$/;
const EVIDENCE_LINE = /^(\d+) {2}(\S+) {2}(\d\.\d{3}) {2}([0-9a-f]{64}) {2}(\S.*)$/;

async function runExample(name: string, ...args: string[]): Promise<string[]> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(EXAMPLES, name), ...args], { timeout: 120000 });
    return stdout.split('\n').filter((line) => line.length > 0);
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`${name} exited with ${e.code}:\n${e.stdout}\n${e.stderr}`);
  }
}

let c: LaitClient;
let folder: string;
let file: string;
let sentences: string[];
before(() => {
  c = client();
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lait-node-examples-'));
});
after(() => {
  c.close();
  fs.rmSync(folder, { recursive: true, force: true });
});
beforeEach(() => {
  // Unique sentences so that the first run stores them all as new.
  const tag = unique();
  sentences = [`Water is wet ${tag}.`, `Fire is hot ${tag}!`, `The sky is blue ${tag}.`];
  file = path.join(folder, `facts-${tag}.txt`);
  fs.writeFileSync(file, `${sentences[0]} ${sentences[1]}\n${sentences[2]}\n`);
});

async function ingest(): Promise<{ rows: RegExpMatchArray[]; summary: string }> {
  const lines = await runExample('ingest-file.js', file);
  const rows = lines.slice(0, -1).map((line) => line.match(INGEST_LINE));
  assert.ok(rows.every((r) => r !== null), lines.join('\n'));
  assert.deepEqual(rows.map((r) => r![3]), sentences);
  return { rows: rows as RegExpMatchArray[], summary: lines[lines.length - 1] };
}

test('ingest-file prints an id per sentence and re-ingesting finds them stored', async () => {
  const first = await ingest();
  assert.deepEqual(first.rows.map((r) => r[2]), ['new', 'new', 'new']);
  assert.equal(first.summary, 'ingested 3 sentences (3 new, 0 already stored, 0 failed)');
  const again = await ingest();
  assert.deepEqual(again.rows.map((r) => r[1]), first.rows.map((r) => r[1]));
  assert.deepEqual(again.rows.map((r) => r[2]), ['already_stored', 'already_stored', 'already_stored']);
  assert.equal(again.summary, 'ingested 3 sentences (0 new, 3 already stored, 0 failed)');
  assert.deepEqual((await c.getSegments({ ids: first.rows.map((r) => r[1]) })).missingIds, []);
});

test('check-claim prints a model label and ranks every evidence', async () => {
  const labels = (await c.describeModel()).labels;
  const ids = (await ingest()).rows.map((r) => r[1]);
  const lines = await runExample('check-claim.js', sentences[0], file);
  const verdict = lines[0].match(/^verdict: (\S+) \((\d\.\d{3})\)$/);
  assert.ok(verdict, lines.join('\n'));
  assert.ok(labels.includes(verdict[1]));
  const rows = lines.slice(1).map((line) => line.match(EVIDENCE_LINE));
  assert.ok(rows.every((r) => r !== null), lines.join('\n'));
  assert.deepEqual(rows.map((r) => r![1]), ['1', '2', '3']);
  assert.ok(rows.every((r) => labels.includes(r![2])));
  assert.deepEqual(rows.map((r) => r![4]).sort(), [...ids].sort());
  rows.forEach((r) => assert.equal(r![5], sentences[ids.indexOf(r![4])]));
  assert.equal((await c.verifyClaim(sentences[0], ids)).verdict, verdict[1]);
});

test('yes-no prints an answer consistent with its probability', async (t) => {
  const model = await modelWithTask(t, c, 'yes_no', ['yes', 'true']);
  if (!model) return;
  const lines = await runExample('yes-no.js', 'Is water wet?', 'Water is wet. Fire is hot.', '--model', model.name);
  const answer = lines[0].match(/^answer: (yes|no)$/);
  const probability = lines[1]?.match(/^yes_probability: (\d\.\d{4})$/);
  assert.ok(answer && probability, lines.join('\n'));
  const expected = await c.answerYesNo('Is water wet?', 'Water is wet. Fire is hot.', { model: model.name });
  assert.equal(answer[1], expected.answer ? 'yes' : 'no');
  assert.ok(Math.abs(Number(probability[1]) - expected.yesProbability) < 1e-3);
});
