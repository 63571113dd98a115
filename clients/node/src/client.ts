import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LaitError, statusName } from './errors';
import type * as t from './types';

/* eslint-disable @typescript-eslint/no-explicit-any -- raw proto-loader messages are untyped. */
type Raw = any;

// The build copies protos/lait/v1/lait.proto here (scripts/copy-protos.js).
const DEFAULT_PROTO_DIR = path.join(__dirname, '..', 'protos');
const LOAD_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };
const SEGMENT_ID = /^[0-9a-f]{32,}$/;

const ROLES: Record<string, string> = { first: 'ROLE_FIRST', other: 'ROLE_OTHER' };
const AGGREGATIONS: Record<t.Aggregation, string> = {
  max_confidence: 'AGGREGATION_MAX_CONFIDENCE', mean: 'AGGREGATION_MEAN', majority: 'AGGREGATION_MAJORITY',
};

let cachedConstructor: { dir: string; ctor: grpc.ServiceClientConstructor } | undefined;

function serviceConstructor(protoDir: string): grpc.ServiceClientConstructor {
  if (cachedConstructor?.dir !== protoDir) {
    const definition = protoLoader.loadSync('lait/v1/lait.proto', { ...LOAD_OPTIONS, includeDirs: [protoDir] });
    const lait = (grpc.loadPackageDefinition(definition) as Raw).lait.v1;
    cachedConstructor = { dir: protoDir, ctor: lait.Lait as grpc.ServiceClientConstructor };
  }
  return cachedConstructor.ctor;
}

/** True for a string shaped like a segment id (lowercase hex, 128 bits or more). */
export function isSegmentId(value: string): boolean {
  return SEGMENT_ID.test(value);
}

export interface LaitClientOptions {
  /** Sent as "authorization: Bearer <key>" on every call. */
  apiKey?: string;
  /** Deadline of unary calls in milliseconds (default 30000). */
  timeoutMs?: number;
  /** TLS credentials; plaintext when omitted. */
  credentials?: grpc.ChannelCredentials;
  /** Model used when a call names none ("" = the server's default). */
  model?: string;
  /** Folder holding lait/v1/lait.proto (default: the copy in dist/protos). */
  protoDir?: string;
  channelOptions?: grpc.ChannelOptions;
}

function enumName(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase() : value.toLowerCase();
}

function segmentInput(text: string | undefined, tokenIds: number[] | undefined, role: t.Role | undefined, truncate: boolean | undefined): Raw {
  const input: Raw = {
    role: role === undefined ? 'ROLE_UNSPECIFIED' : ROLES[role],
    truncation: truncate ? 'TRUNCATION_TRUNCATE' : 'TRUNCATION_UNSPECIFIED',
  };
  if (input.role === undefined) throw new TypeError(`role must be 'first' or 'other', got ${String(role)}`);
  if (tokenIds !== undefined) input.token_ids = { ids: tokenIds };
  else if (typeof text === 'string') input.text = text;
  else throw new TypeError('a segment needs text (string) or tokenIds');
  return input;
}

function segmentRef(value: t.SegmentLike): Raw {
  if (typeof value === 'string') return isSegmentId(value) ? { segment_id: value } : { inline: segmentInput(value, undefined, undefined, false) };
  if ('id' in value) return { segment_id: value.id };
  if ('name' in value) return { name: value.name };
  if ('text' in value) return { inline: segmentInput(value.text, undefined, undefined, value.truncate) };
  throw new TypeError(`not a segment reference: ${JSON.stringify(value)}`);
}

function durability(durable: boolean | null | undefined): string {
  if (durable === undefined || durable === null) return 'DURABILITY_UNSPECIFIED';
  return durable ? 'DURABILITY_DURABLE' : 'DURABILITY_CHECKPOINT';
}

const scores = (raw: Raw[]): t.LabelScore[] => raw.map((s) => ({ label: s.label, probability: s.probability, logit: s.logit }));
const names = (raw: Raw[]): t.SegmentName[] => raw.map((n) => ({ namespace: n.namespace, name: n.name }));

function segmentInfo(s: Raw): t.SegmentInfo {
  const info: t.SegmentInfo = {
    segmentId: s.segment_id, model: s.model, role: enumName(s.role, 'ROLE_') as t.SegmentInfo['role'],
    tokenCount: s.token_count, codec: s.codec, storedBytes: s.stored_bytes, tokenIds: s.token_ids,
  };
  if (s.name && (s.name.namespace || s.name.name)) info.name = { namespace: s.name.namespace, name: s.name.name };
  return info;
}

function modelInfo(m: Raw): t.ModelInfo {
  return {
    name: m.name, architecture: m.architecture, numLayers: m.num_layers, towerLayers: m.tower_layers,
    hiddenSize: m.hidden_size, numHeads: m.num_heads, vocabSize: m.vocab_size, maxPositions: m.max_positions,
    positionMode: m.position_mode, labels: m.labels,
    tasks: m.tasks.map((x: string) => enumName(x, 'TASK_TYPE_')) as t.TaskName[],
    fingerprint: m.fingerprint, tokenizerFingerprint: m.tokenizer_fingerprint, stateCodec: m.state_codec,
    maxSegmentTokens: m.max_segment_tokens, storedSegments: m.stored_segments,
  };
}

/** A promise that a waiter can await and another part of the code can resolve. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

/** A client for one LaitGrpc server (or load balancer). */
export class LaitClient {
  readonly target: string;
  private readonly raw: Raw;
  private readonly timeoutMs: number;
  private readonly model: string;
  private readonly apiKey?: string;

  constructor(target: string, options: LaitClientOptions = {}) {
    this.target = target;
    this.timeoutMs = options.timeoutMs ?? 30000;
    this.model = options.model ?? '';
    this.apiKey = options.apiKey;
    const Ctor = serviceConstructor(options.protoDir ?? DEFAULT_PROTO_DIR);
    this.raw = new Ctor(target, options.credentials ?? grpc.credentials.createInsecure(), options.channelOptions ?? {});
  }

  close(): void {
    this.raw.close();
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.apiKey) metadata.set('authorization', `Bearer ${this.apiKey}`);
    return metadata;
  }

  private modelOf(options?: t.CallOptions): string {
    return options?.model ?? this.model;
  }

  private unary(method: string, request: Raw, options?: t.CallOptions): Promise<Raw> {
    const deadline = new Date(Date.now() + (options?.timeoutMs ?? this.timeoutMs));
    return new Promise((resolve, reject) => {
      this.raw[method](request, this.metadata(), { deadline }, (error: grpc.ServiceError | null, response: Raw) => {
        if (error) reject(LaitError.from(error, method));
        else resolve(response);
      });
    });
  }

  // -- ingestion ---------------------------------------------------------------------------------

  /**
   * Streams segments to the server and yields one acknowledgement per segment, in input order.
   *
   * `segments` may be any iterable or async iterable (a generator reading a huge file is fine).
   * It is consumed only as fast as the server acknowledges: at most `maxInFlight` segments are
   * sent and not yet acknowledged, and HTTP/2 flow control is honoured ('drain'). A bad segment
   * yields an ack with `error` set and the stream goes on; a problem with the stream itself
   * throws a LaitError; an error thrown by `segments` is rethrown after the acks of the segments
   * sent before it. Leaving the `for await` loop early cancels the stream.
   */
  async *encodeSegments(segments: Iterable<t.SegmentItem> | AsyncIterable<t.SegmentItem>,
    options: t.EncodeOptions = {}): AsyncGenerator<t.SegmentAck, void, undefined> {
    const maxInFlight = options.maxInFlight ?? 32;
    if (maxInFlight < 1) throw new RangeError('maxInFlight must be at least 1');
    const model = this.modelOf(options);
    const durable = durability(options.durable === undefined ? true : options.durable);
    const callOptions: grpc.CallOptions = options.timeoutMs ? { deadline: new Date(Date.now() + options.timeoutMs) } : {};
    const call: grpc.ClientDuplexStream<Raw, Raw> = this.raw.EncodeSegment(this.metadata(), callOptions);
    call.on('error', () => { /* surfaced by the response iterator below */ });

    let inFlight = 0;
    let stopped = false;
    let slotFreed = signal();
    let inputError: unknown;

    const toRequest = (item: t.SegmentItem): Raw => {
      const it = typeof item === 'string' ? { text: item } : item;
      const request: Raw = {
        model, durability: durable, client_tag: it.tag ?? '',
        segment: segmentInput(it.text, it.tokenIds, it.role ?? options.role ?? 'other', it.truncate ?? options.truncate),
      };
      if (it.name !== undefined) {
        const namespace = it.namespace ?? options.namespace;
        if (!namespace) throw new TypeError(`segment name '${it.name}' needs a namespace`);
        request.name = { namespace, name: it.name };
      }
      return request;
    };

    const stoppedSignal = signal();
    const writer = (async () => {
      const source = segments as Partial<AsyncIterable<t.SegmentItem> & Iterable<t.SegmentItem>>;
      const iterator: AsyncIterator<t.SegmentItem> | Iterator<t.SegmentItem> = source[Symbol.asyncIterator]
        ? source[Symbol.asyncIterator]!() : source[Symbol.iterator]!();
      try {
        for (;;) {
          // Backpressure: take a slot before pulling the next item from the caller, so at most
          // maxInFlight items have been taken and not yet acknowledged.
          while (inFlight >= maxInFlight && !stopped) await slotFreed.promise;
          if (stopped) break;
          const next = await iterator.next();
          if (next.done || stopped) break;
          inFlight++;
          if (!call.write(toRequest(next.value))) {
            await Promise.race([new Promise<void>((resolve) => { call.once('drain', resolve); }), stoppedSignal.promise]);
          }
        }
      } catch (error) {
        inputError = error;
      } finally {
        if (!stopped) call.end();
        // Lets the caller's generator run its own finally blocks (close files...).
        if (stopped) await Promise.resolve(iterator.return?.()).catch(() => undefined);
      }
    })();

    let completed = false;
    try {
      for await (const r of call as AsyncIterable<Raw>) {
        inFlight--;
        const wake = slotFreed;
        slotFreed = signal();
        wake.resolve();
        const ack: t.SegmentAck = {
          sequence: r.sequence, segmentId: r.segment_id, tokenCount: r.token_count,
          alreadyStored: r.already_stored, truncated: r.truncated, clientTag: r.client_tag,
        };
        if (r.error) ack.error = { code: r.error.code, codeName: statusName(r.error.code), message: r.error.message };
        yield ack;
      }
      completed = true;
    } catch (error) {
      if (inputError !== undefined) throw inputError;
      throw LaitError.from(error, 'EncodeSegment');
    } finally {
      if (!completed) {
        // Early exit or failure: stop the writer and cancel the call (not awaited: the caller's
        // source may be blocked in next(), and the writer notices `stopped` when it returns).
        stopped = true;
        slotFreed.resolve();
        stoppedSignal.resolve();
        call.cancel();
      }
    }
    // The server completes only after the request stream ended, so the writer has finished.
    await writer;
    if (inputError !== undefined) throw inputError;
  }

  /** Lets the server split a document into sentences, stores each and returns them in order. */
  async encodeDocument(text: string, options: t.EncodeDocumentOptions = {}): Promise<t.Sentence[]> {
    const response = await this.unary('EncodeDocument', {
      model: this.modelOf(options), text, role: ROLES[options.role ?? 'other'],
      namespace: options.namespace ?? '', name_prefix: options.namePrefix ?? '',
      durability: durability(options.durable === undefined ? true : options.durable),
      truncation: options.truncate ? 'TRUNCATION_TRUNCATE' : 'TRUNCATION_UNSPECIFIED',
    }, options);
    return response.sentences.map((s: Raw) => ({
      segmentId: s.segment_id, text: s.text, charStart: s.char_start, charEnd: s.char_end,
      tokenCount: s.token_count, alreadyStored: s.already_stored, truncated: s.truncated,
    }));
  }

  // -- combine -----------------------------------------------------------------------------------

  private combine(task: string, segments: t.SegmentLike[], options: t.CallOptions | undefined, extra: Raw = {}): Promise<Raw> {
    return this.unary('Combine', { model: this.modelOf(options), task, segments: segments.map(segmentRef), ...extra }, options);
  }

  /** Classifies the segments jointly (segments[0] first: the claim / hypothesis / question; then evidence / premise / passage). */
  async classify(segments: t.SegmentLike[], options: t.CallOptions & { truncate?: boolean } = {}): Promise<t.Classification> {
    const r = await this.combine('TASK_TYPE_CLASSIFY', segments, options,
      { truncation: options.truncate ? 'TRUNCATION_TRUNCATE' : 'TRUNCATION_UNSPECIFIED' });
    return { label: r.classification.label, scores: scores(r.classification.scores), segmentIds: r.segment_ids };
  }

  /** Checks a claim against each evidence on its own and aggregates a verdict. */
  async verifyClaim(claim: t.SegmentLike, evidence: t.SegmentLike | t.SegmentLike[], options: t.VerifyOptions = {}): Promise<t.ClaimVerification> {
    const aggregation = options.aggregation ?? 'max_confidence';
    if (!(aggregation in AGGREGATIONS)) throw new RangeError(`aggregation must be one of ${Object.keys(AGGREGATIONS).join(', ')}`);
    const list = Array.isArray(evidence) ? evidence : [evidence];
    const r = await this.combine('TASK_TYPE_VERIFY_CLAIM', [claim, ...list], options,
      { aggregation: AGGREGATIONS[aggregation], top_k: options.topK ?? 0 });
    const v = r.claim_verification;
    return {
      verdict: v.verdict,
      verdictScores: scores(v.verdict_scores),
      evidence: v.evidence.map((e: Raw) => ({ index: e.index, segmentId: e.segment_id, label: e.label, scores: scores(e.scores), rank: e.rank })),
      aggregation: enumName(v.aggregation, 'AGGREGATION_') as t.Aggregation,
      segmentIds: r.segment_ids,
    };
  }

  /** Answers a yes/no question over a passage (a text, an id, or a list of them). */
  async answerYesNo(question: t.SegmentLike, passage: t.SegmentLike | t.SegmentLike[], options: t.CallOptions = {}): Promise<t.YesNoAnswer> {
    const list = Array.isArray(passage) ? passage : [passage];
    const y = (await this.combine('TASK_TYPE_YES_NO', [question, ...list], options)).yes_no;
    return { answer: y.answer, yesProbability: y.yes_probability, scores: scores(y.scores) };
  }

  /** Extractive QA: spans of the passage(s), best first (empty when the model finds none). */
  async extractAnswer(question: t.SegmentLike, passage: t.SegmentLike | t.SegmentLike[], options: t.ExtractOptions = {}): Promise<t.AnswerSpan[]> {
    const list = Array.isArray(passage) ? passage : [passage];
    const x = (await this.combine('TASK_TYPE_EXTRACTIVE_QA', [question, ...list], options,
      { max_answer_tokens: options.maxAnswerTokens ?? 0, n_best: options.nBest ?? 0 })).extractive;
    return x.answers.map((a: Raw) => ({ text: a.text, segmentIndex: a.segment_index, charStart: a.char_start, charEnd: a.char_end, score: a.score }));
  }

  // -- segments ----------------------------------------------------------------------------------

  /** Looks segments up by id and/or name; absent ones are listed as missing. */
  async getSegments(query: { ids?: string[]; names?: t.SegmentName[]; includeTokens?: boolean }, options: t.CallOptions = {}): Promise<t.GetSegmentsResult> {
    const r = await this.unary('GetSegments', {
      model: this.modelOf(options), segment_ids: query.ids ?? [], names: query.names ?? [], include_tokens: query.includeTokens ?? false,
    }, options);
    return { found: r.found.map(segmentInfo), missingIds: r.missing_ids, missingNames: names(r.missing_names) };
  }

  /** Deletes segments by id and/or name; idempotent. */
  async deleteSegments(query: { ids?: string[]; names?: t.SegmentName[] }, options: t.CallOptions = {}): Promise<t.DeleteSegmentsResult> {
    const r = await this.unary('DeleteSegments', {
      model: this.modelOf(options), segment_ids: query.ids ?? [], names: query.names ?? [],
    }, options);
    return { deleted: r.deleted, notFoundIds: r.not_found_ids, notFoundNames: names(r.not_found_names) };
  }

  /** Yields the named segments of a namespace in name order, fetching pages as needed. */
  async *listSegments(namespace: string, options: t.CallOptions & { pageSize?: number } = {}): AsyncGenerator<t.SegmentInfo, void, undefined> {
    let pageToken = '';
    do {
      const r = await this.unary('ListSegments', {
        model: this.modelOf(options), namespace, page_size: options.pageSize ?? 0, page_token: pageToken,
      }, options);
      for (const s of r.segments) yield segmentInfo(s);
      pageToken = r.next_page_token;
    } while (pageToken);
  }

  // -- models ------------------------------------------------------------------------------------

  async listModels(options: Pick<t.CallOptions, 'timeoutMs'> = {}): Promise<t.ModelList> {
    const r = await this.unary('ListModels', {}, options);
    return { models: r.models.map(modelInfo), defaultModel: r.default_model };
  }

  async describeModel(model?: string, options: Pick<t.CallOptions, 'timeoutMs'> = {}): Promise<t.ModelInfo> {
    return modelInfo(await this.unary('DescribeModel', { model: model ?? this.model }, options));
  }
}
