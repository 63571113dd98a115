// Plain result and option types of the client (camelCase; enums as short lowercase strings).

/** Which side of the input a segment is on: "first" (claim, hypothesis, question) or "other" (evidence, premise, passage). */
export type Role = 'first' | 'other';
export type Aggregation = 'max_confidence' | 'mean' | 'majority';
export type TaskName = 'classify' | 'verify_claim' | 'yes_no' | 'extractive_qa';

export interface SegmentName {
  namespace: string;
  name: string;
}

/**
 * A segment in a Combine call. A bare string is a segment id when it looks like one
 * (lowercase hex, 32+ digits) and inline text otherwise; use the object forms to be explicit.
 */
export type SegmentLike = string | { id: string } | { text: string; truncate?: boolean } | { name: SegmentName };

/** One item of a streaming ingest: a text, or an object with text or token ids. */
export type SegmentItem = string | {
  text?: string;
  tokenIds?: number[];
  /** Name to attach (needs a namespace, here or in the stream options). */
  name?: string;
  namespace?: string;
  role?: Role;
  /** Echoed back in the acknowledgement. */
  tag?: string;
  truncate?: boolean;
};

export interface ItemError {
  /** gRPC status code number (3 = INVALID_ARGUMENT, ...). */
  code: number;
  codeName: string;
  message: string;
}

export interface SegmentAck {
  sequence: number;
  segmentId: string;
  tokenCount: number;
  alreadyStored: boolean;
  truncated: boolean;
  clientTag: string;
  /** Set for a bad segment; the stream goes on. */
  error?: ItemError;
}

export interface Sentence {
  segmentId: string;
  text: string;
  /** UTF-16 code-unit offsets into the document, as JavaScript strings index: text === doc.slice(charStart, charEnd). */
  charStart: number;
  charEnd: number;
  tokenCount: number;
  alreadyStored: boolean;
  truncated: boolean;
}

export interface LabelScore {
  label: string;
  probability: number;
  logit: number;
}

export interface Classification {
  label: string;
  scores: LabelScore[];
  segmentIds: string[];
}

export interface EvidenceResult {
  /** 1-based position of the evidence in the request (0 is the claim). */
  index: number;
  segmentId: string;
  label: string;
  scores: LabelScore[];
  /** 1 = the evidence that most confidently decides the claim. */
  rank: number;
}

export interface ClaimVerification {
  verdict: string;
  verdictScores: LabelScore[];
  /** Ranked best first. */
  evidence: EvidenceResult[];
  aggregation: Aggregation;
  segmentIds: string[];
}

export interface YesNoAnswer {
  answer: boolean;
  yesProbability: number;
  scores: LabelScore[];
}

export interface AnswerSpan {
  text: string;
  /** Index of the request segment the span lies in (0 is the question). */
  segmentIndex: number;
  charStart: number;
  charEnd: number;
  score: number;
}

export interface SegmentInfo {
  segmentId: string;
  model: string;
  role: Role | 'unspecified';
  tokenCount: number;
  codec: string;
  storedBytes: number;
  tokenIds: number[];
  name?: SegmentName;
}

export interface GetSegmentsResult {
  found: SegmentInfo[];
  missingIds: string[];
  missingNames: SegmentName[];
}

export interface DeleteSegmentsResult {
  deleted: number;
  notFoundIds: string[];
  notFoundNames: SegmentName[];
}

export interface ModelInfo {
  name: string;
  architecture: string;
  numLayers: number;
  towerLayers: number;
  hiddenSize: number;
  numHeads: number;
  vocabSize: number;
  maxPositions: number;
  positionMode: string;
  labels: string[];
  tasks: TaskName[];
  fingerprint: string;
  tokenizerFingerprint: string;
  stateCodec: string;
  maxSegmentTokens: number;
  storedSegments: number;
}

export interface ModelList {
  models: ModelInfo[];
  defaultModel: string;
}

/** Options every call takes. */
export interface CallOptions {
  /** Model name; defaults to the client's model ("" = the server's default). */
  model?: string;
  /** Deadline in milliseconds (defaults to the client's timeoutMs; streams have none by default). */
  timeoutMs?: number;
}

export interface EncodeOptions extends CallOptions {
  role?: Role;
  /** true = DURABLE (default), false = CHECKPOINT, undefined/null = the server's default. */
  durable?: boolean | null;
  namespace?: string;
  truncate?: boolean;
  /** Most segments sent and not yet acknowledged (default 32): the backpressure window. */
  maxInFlight?: number;
}

export interface EncodeDocumentOptions extends CallOptions {
  role?: Role;
  durable?: boolean | null;
  namespace?: string;
  namePrefix?: string;
  truncate?: boolean;
}

export interface VerifyOptions extends CallOptions {
  aggregation?: Aggregation;
  /** Only the best k evidence results (0 = all). */
  topK?: number;
}

export interface ExtractOptions extends CallOptions {
  maxAnswerTokens?: number;
  nBest?: number;
}
