using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf.Collections;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Server.Configuration;
using Lait.Server.Interceptors;
using Lait.Server.Metrics;
using Lait.Server.Models;
using Lait.Server.Tasks;
using Lait.Server.Text;
using Lait.Server.Validation;
using Lait.Store;
using Lait.Store.Codec;
using Lait.Store.Ids;
using Lait.Store.Names;
using Microsoft.Extensions.Logging;

namespace Lait.Server.Service;

/// <summary>
/// lait.v1.Lait: EncodeSegment / EncodeDocument run the tower and store the states; Combine reads
/// them back and runs the joint layers and a head; the rest looks segments and models up.
/// </summary>
public sealed class LaitService
{
    private const int DefaultMaxAnswerTokens = 30;
    private const int DefaultListPageSize = 100;

    private readonly ModelCatalog _models;
    private readonly ISegmentStore _store;
    private readonly StateCodec _codec;
    private readonly ServiceLimits _limits;
    private readonly ILogger _logger;
    private readonly Counter _cacheLookups;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SegmentId, Task<PutResult>> _inFlight = new();
    private int _openStreams;

    private readonly bool _storeIsDurable;

    /// <param name="storeIsDurable">Whether the store acknowledges puts only once they survive a crash
    /// (group commit); a request that asks for DURABILITY_DURABLE from a store that is not is refused.</param>
    public LaitService(ModelCatalog models, ISegmentStore store, StateCodec codec, bool storeIsDurable, ServiceLimits limits, MetricsRegistry metrics, ILogger<LaitService> logger)
    {
        _models = models;
        _store = store;
        _codec = codec;
        _storeIsDurable = storeIsDurable;
        _limits = limits;
        _logger = logger;
        _cacheLookups = metrics.Counter("lait_segment_cache_lookups_total",
            "Segment lookups by result: hit (state reused), miss (tower computed)", "model", "result");
    }

    // ---------------------------------------------------------------- EncodeSegment

    public async Task EncodeSegment(IAsyncStreamReader<EncodeSegmentRequest> requests, IServerStreamWriter<EncodeSegmentResponse> responses, ServerCallContext context)
    {
        if (Interlocked.Increment(ref _openStreams) > _limits.MaxConcurrentStreams)
        {
            Interlocked.Decrement(ref _openStreams);
            throw new RequestException(StatusCode.ResourceExhausted,
                $"too many concurrent EncodeSegment streams (limit {_limits.MaxConcurrentStreams}); retry later or reuse a stream");
        }
        try
        {
            var ct = context.CancellationToken;
            // Acknowledgements leave in request order; up to MaxInFlightPerStream segments are worked on at
            // once. When the window is full we stop reading, and HTTP/2 flow control slows the client.
            var window = Channel.CreateBounded<Task<EncodeSegmentResponse>>(new BoundedChannelOptions(_limits.MaxInFlightPerStream)
            {
                SingleReader = true,
                SingleWriter = true,
            });
            var writer = WriteAcknowledgementsAsync(window.Reader, responses, ct);
            ulong sequence = 0;
            Exception? streamError = null;
            try
            {
                while (await requests.MoveNext(ct).ConfigureAwait(false))
                {
                    var request = requests.Current;
                    var model = _models.Resolve(request.Model);
                    await window.Writer.WriteAsync(EncodeOneAsync(model, request, sequence++, ct), ct).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is RpcException or RequestException)
            {
                streamError = ex; // acknowledge what was accepted before ending the stream
            }
            finally
            {
                window.Writer.TryComplete();
            }
            await writer.ConfigureAwait(false);
            if (streamError is not null) throw streamError;
        }
        finally
        {
            Interlocked.Decrement(ref _openStreams);
        }
    }

    private static async Task WriteAcknowledgementsAsync(ChannelReader<Task<EncodeSegmentResponse>> acks, IServerStreamWriter<EncodeSegmentResponse> responses, CancellationToken ct)
    {
        await foreach (var pending in acks.ReadAllAsync(ct).ConfigureAwait(false))
        {
            var ack = await pending.ConfigureAwait(false);
            await responses.WriteAsync(ack, ct).ConfigureAwait(false);
        }
    }

    private async Task<EncodeSegmentResponse> EncodeOneAsync(ServedModelEntry model, EncodeSegmentRequest request, ulong sequence, CancellationToken ct)
    {
        var ack = new EncodeSegmentResponse { Sequence = sequence, ClientTag = request.ClientTag };
        try
        {
            if (request.Segment is null) throw new RequestException("segment is required");
            RequestValidator.Check(request);
            CheckDurability(request.Durability);
            var segment = Tokenize(model, request.Segment, ToRole(request.Segment.Role), "segment");
            var stored = await StoreSegmentAsync(model, segment, ct).ConfigureAwait(false);
            if (request.Name is not null) await PutNameAsync(model, request.Name, stored.Id, ct).ConfigureAwait(false);
            ack.SegmentId = stored.Id.ToString();
            ack.TokenCount = segment.TokenIds.Length;
            ack.AlreadyStored = stored.AlreadyPresent;
            ack.Truncated = segment.Truncated;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && StatusMapping.TryMap(ex, out var status))
        {
            if (status.StatusCode is StatusCode.DataLoss or StatusCode.Unavailable)
            {
                _logger.LogWarning(ex, "EncodeSegment item {Sequence} failed: {Status}", sequence, status.StatusCode);
            }
            ack.Error = new ItemError { Code = (int)status.StatusCode, Message = status.Detail };
        }
        return ack;
    }

    /// <summary>
    /// Stores a segment's tower state unless an identical segment is already stored or being stored:
    /// concurrent requests for the same id (one document's repeated sentence, two pipelines ingesting
    /// the same text) share one tower pass and one put.
    /// </summary>
    private async Task<PutResult> StoreSegmentAsync(ServedModelEntry model, TokenizedSegment segment, CancellationToken ct)
    {
        var key = model.KeyFor(segment);
        var id = key.ComputeId();
        var mine = new TaskCompletionSource<PutResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = _inFlight.GetOrAdd(id, mine.Task);
        if (inFlight != mine.Task)
        {
            _cacheLookups.Inc(model.Description.Name, "hit");
            var shared = await inFlight.WaitAsync(ct).ConfigureAwait(false);
            return shared with { AlreadyPresent = true };
        }
        try
        {
            PutResult result;
            if (await _store.ExistsAsync(id, ct).ConfigureAwait(false))
            {
                _cacheLookups.Inc(model.Description.Name, "hit");
                result = new PutResult(id, AlreadyPresent: true, StoredBytes: 0);
            }
            else
            {
                _cacheLookups.Inc(model.Description.Name, "miss");
                var state = await model.Towers.EnqueueAsync(segment, segment.TokenIds.Length, ct).ConfigureAwait(false);
                result = await _store.PutAsync(new SegmentState(key, model.Description.HiddenSize, state), ct).ConfigureAwait(false);
            }
            mine.SetResult(result);
            return result;
        }
        catch (Exception ex)
        {
            mine.SetException(ex);
            _ = mine.Task.Exception; // observed here; waiters rethrow it
            throw;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<SegmentId, Task<PutResult>>(id, mine.Task));
        }
    }

    // A stronger promise than the store keeps is refused; a weaker one is kept anyway (durable stores
    // acknowledge only what survives a crash, whatever the request asked).
    private void CheckDurability(Durability asked)
    {
        if (asked == Durability.Durable && !_storeIsDurable)
        {
            throw new RequestException(StatusCode.FailedPrecondition,
                "DURABILITY_DURABLE was asked but this server runs its store with checkpoint durability (--durability checkpoint); " +
                "ask for DURABILITY_CHECKPOINT or leave durability unspecified");
        }
    }

    // ---------------------------------------------------------------- EncodeDocument

    public async Task<EncodeDocumentResponse> EncodeDocument(EncodeDocumentRequest request, ServerCallContext context)
    {
        var model = _models.Resolve(request.Model);
        if (string.IsNullOrWhiteSpace(request.Text)) throw new RequestException("text is empty: send the document's text");
        if (request.Text.Length > _limits.MaxTextChars)
        {
            throw new RequestException(StatusCode.ResourceExhausted, $"document has {request.Text.Length} characters; the limit is {_limits.MaxTextChars}");
        }
        bool named = request.Namespace.Length > 0 || request.NamePrefix.Length > 0;
        if (named && (request.Namespace.Length == 0 || request.NamePrefix.Length == 0))
        {
            throw new RequestException("namespace and name_prefix go together: set both to name the sentences, or neither");
        }
        var spans = SentenceSplitter.Split(request.Text);
        if (spans.Count > _limits.MaxDocumentSentences)
        {
            throw new RequestException(StatusCode.ResourceExhausted,
                $"document has {spans.Count} sentences; the limit is {_limits.MaxDocumentSentences}: split it into several calls");
        }
        RequestValidator.Check(request, spans.Count);
        CheckDurability(request.Durability);
        var role = ToRole(request.Role);
        bool truncate = request.Truncation == Truncation.Truncate;
        var segments = new TokenizedSegment[spans.Count];
        for (int i = 0; i < spans.Count; i++)
        {
            string sentence = request.Text[spans[i].Start..spans[i].End];
            segments[i] = TokenizeText(model, sentence, role, truncate, $"sentence {i} (characters {spans[i].Start}..{spans[i].End})");
        }
        var ct = context.CancellationToken;
        var stored = await Task.WhenAll(segments.Select(s => StoreSegmentAsync(model, s, ct))).ConfigureAwait(false);
        var response = new EncodeDocumentResponse();
        for (int i = 0; i < spans.Count; i++)
        {
            if (named)
            {
                await PutNameAsync(model, new SegmentName { Namespace = request.Namespace, Name = $"{request.NamePrefix}/{i}" }, stored[i].Id, ct)
                    .ConfigureAwait(false);
            }
            response.Sentences.Add(new DocumentSentence
            {
                SegmentId = stored[i].Id.ToString(),
                Text = request.Text[spans[i].Start..spans[i].End],
                CharStart = spans[i].Start,
                CharEnd = spans[i].End,
                TokenCount = segments[i].TokenIds.Length,
                AlreadyStored = stored[i].AlreadyPresent,
                Truncated = segments[i].Truncated,
            });
        }
        return response;
    }

    // ---------------------------------------------------------------- Combine

    public async Task<CombineResponse> Combine(CombineRequest request, ServerCallContext context)
    {
        var total = Stopwatch.StartNew();
        var timings = new Timings();
        var model = _models.Resolve(request.Model);
        var ct = context.CancellationToken;
        RequestValidator.Check(request);
        ValidateCombineShape(model, request);

        // Resolve every reference: ids and names from the store, inline texts through the tower.
        var resolved = await ResolveSegmentsAsync(model, request, timings, ct).ConfigureAwait(false);
        var response = new CombineResponse { Model = model.Description.Name, Timings = timings };
        foreach (var r in resolved) response.SegmentIds.Add(r.Id.ToString());
        response.Truncated = resolved.Any(r => r.Truncated);

        var joint = Stopwatch.StartNew();
        switch (request.Task)
        {
            case TaskType.Classify:
            {
                var output = await RunJointAsync(model, resolved.Select(r => r.Tensor).ToArray(), HeadKind.Classification, ct).ConfigureAwait(false);
                response.Classification = ToClassification(model, output.Logits);
                break;
            }
            case TaskType.VerifyClaim:
                response.ClaimVerification = await VerifyClaimAsync(model, request, resolved, ct).ConfigureAwait(false);
                break;
            case TaskType.YesNo:
            {
                var output = await RunJointAsync(model, resolved.Select(r => r.Tensor).ToArray(), HeadKind.Classification, ct).ConfigureAwait(false);
                response.YesNo = ToYesNo(model, output.Logits);
                break;
            }
            case TaskType.ExtractiveQa:
            {
                var output = await RunJointAsync(model, resolved.Select(r => r.Tensor).ToArray(), HeadKind.SpanExtraction, ct).ConfigureAwait(false);
                response.Extractive = ExtractSpans(request, resolved, output);
                break;
            }
        }
        timings.JointUs = Micros(joint);
        timings.TotalUs = Micros(total);
        var activity = System.Diagnostics.Activity.Current;
        if (activity is not null)
        {
            activity.SetTag("lait.model", model.Description.Name);
            activity.SetTag("lait.segments", request.Segments.Count);
            activity.SetTag("lait.tokenize_us", timings.TokenizeUs);
            activity.SetTag("lait.store_us", timings.StoreUs);
            activity.SetTag("lait.tower_us", timings.TowerUs);
            activity.SetTag("lait.joint_us", timings.JointUs);
        }
        return response;
    }

    private void ValidateCombineShape(ServedModelEntry model, CombineRequest request)
    {
        int count = request.Segments.Count;
        var d = model.Description;
        switch (request.Task)
        {
            case TaskType.Unspecified:
                throw new RequestException(StatusCode.InvalidArgument,
                    "task is required: TASK_TYPE_CLASSIFY, TASK_TYPE_VERIFY_CLAIM, TASK_TYPE_YES_NO or TASK_TYPE_EXTRACTIVE_QA");
            case TaskType.Classify when count < 1:
                throw new RequestException("TASK_TYPE_CLASSIFY needs at least one segment");
            case TaskType.VerifyClaim or TaskType.YesNo or TaskType.ExtractiveQa when count < 2:
                throw new RequestException(StatusCode.InvalidArgument,
                    $"{TaskName(request.Task)} needs at least two segments: segments[0] is the claim or question, the rest evidence or passage");
        }
        if (count > _limits.MaxSegmentsPerCall)
        {
            throw new RequestException(StatusCode.ResourceExhausted, $"{count} segments in one call; the limit is {_limits.MaxSegmentsPerCall}");
        }
        if (request.Task == TaskType.VerifyClaim && count - 1 > _limits.MaxEvidencePerClaim)
        {
            throw new RequestException(StatusCode.ResourceExhausted,
                $"{count - 1} evidence segments for one claim; the limit is {_limits.MaxEvidencePerClaim}: split the evidence over several calls");
        }
        bool needsSpanHead = request.Task == TaskType.ExtractiveQa;
        if (needsSpanHead && !d.HasSpanHead)
        {
            throw new RequestException($"model '{d.Name}' has no question-answering head, so it cannot run TASK_TYPE_EXTRACTIVE_QA");
        }
        if (!needsSpanHead && !d.HasClassificationHead)
        {
            throw new RequestException($"model '{d.Name}' has no classification head, so it cannot run {TaskName(request.Task)}");
        }
        if (request.Task == TaskType.YesNo && d.YesLabel < 0)
        {
            throw new RequestException(
                $"model '{d.Name}' has no 'yes' label (labels: {string.Join(", ", d.Labels)}), so it cannot run TASK_TYPE_YES_NO; ListModels names the models that can");
        }
        if (request.Task == TaskType.VerifyClaim && d.YesLabel >= 0)
        {
            throw new RequestException(
                $"model '{d.Name}' answers yes/no questions (labels: {string.Join(", ", d.Labels)}), so it cannot run TASK_TYPE_VERIFY_CLAIM; use an NLI model");
        }
        if (request.TopK < 0 || request.NBest < 0 || request.MaxAnswerTokens < 0)
        {
            throw new RequestException("top_k, n_best and max_answer_tokens must not be negative");
        }
    }

    private sealed record ResolvedSegment(SegmentId Id, SegmentTensor Tensor, string? Text, (int Start, int End)[]? Offsets, bool Truncated);

    private async Task<ResolvedSegment[]> ResolveSegmentsAsync(ServedModelEntry model, CombineRequest request, Timings timings, CancellationToken ct)
    {
        int count = request.Segments.Count;
        var result = new ResolvedSegment?[count];
        var storedIds = new List<(int Index, SegmentId Id)>();
        var missingIds = new List<string>();
        var missingNames = new List<string>();
        var inline = new List<(int Index, TokenizedSegment Segment, string Text)>();

        var tokenize = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            var reference = request.Segments[i];
            switch (reference.RefCase)
            {
                case SegmentRef.RefOneofCase.SegmentId:
                    storedIds.Add((i, ParseId(reference.SegmentId, $"segments[{i}].segment_id")));
                    break;
                case SegmentRef.RefOneofCase.Name:
                    break; // resolved below, after tokenization, so that all store work happens together
                case SegmentRef.RefOneofCase.Inline:
                {
                    var role = i == 0 ? SegmentRole.First : SegmentRole.Other;
                    var seg = Tokenize(model, reference.Inline, role, $"segments[{i}]", request.Truncation == Truncation.Truncate);
                    inline.Add((i, seg, reference.Inline.Text));
                    break;
                }
                default:
                    throw new RequestException($"segments[{i}] is empty: set segment_id, name or inline");
            }
        }
        timings.TokenizeUs = Micros(tokenize);

        var store = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            var reference = request.Segments[i];
            if (reference.RefCase != SegmentRef.RefOneofCase.Name) continue;
            ValidateName(reference.Name, $"segments[{i}].name");
            var id = await _store.ResolveNameAsync(StoreNamespace(model, reference.Name.Namespace), reference.Name.Name, ct).ConfigureAwait(false);
            if (id is null) missingNames.Add($"{reference.Name.Namespace}/{reference.Name.Name}");
            else storedIds.Add((i, id.Value));
        }
        if (storedIds.Count > 0)
        {
            var got = await _store.GetManyAsync(storedIds.Select(s => s.Id).ToArray(), ct).ConfigureAwait(false);
            for (int k = 0; k < storedIds.Count; k++)
            {
                var (index, id) = storedIds[k];
                var state = got.States[k];
                if (state is null)
                {
                    if (request.Segments[index].Name is { } gone) missingNames.Add($"{gone.Namespace}/{gone.Name}"); else missingIds.Add(id.ToString());
                    continue;
                }
                CheckBelongsToModel(model, state, index);
                result[index] = new ResolvedSegment(id, new SegmentTensor(state.Key.TokenIds.ToArray(), state.Key.Role, state.Values), null, null, false);
            }
        }
        timings.StoreUs = Micros(store);
        if (missingIds.Count > 0 || missingNames.Count > 0)
        {
            var parts = new List<string>();
            if (missingIds.Count > 0) parts.Add($"segment ids not stored: {ErrorText.List(missingIds.Distinct())}");
            if (missingNames.Count > 0) parts.Add($"segment names not found: {ErrorText.List(missingNames.Distinct().Select(ErrorText.Quote))}");
            throw new RequestException(StatusCode.NotFound, string.Join("; ", parts) + $" (model '{model.Description.Name}'); encode them first");
        }

        JointFit.Apply(request.Task, model.Description.MaxPositions, request.Truncation == Truncation.Truncate, count, i => result[i]!.Tensor.TokenIds.Length, inline);
        if (inline.Count > 0)
        {
            var tower = Stopwatch.StartNew();
            var states = await Task.WhenAll(inline.Select(s => model.Towers.EnqueueAsync(s.Segment, s.Segment.TokenIds.Length, ct))).ConfigureAwait(false);
            for (int k = 0; k < inline.Count; k++)
            {
                var (index, seg, text) = inline[k];
                var id = model.KeyFor(seg).ComputeId();
                result[index] = new ResolvedSegment(id, new SegmentTensor(seg.TokenIds, seg.Role, states[k]), text, seg.Offsets, seg.Truncated);
            }
            timings.TowerUs = Micros(tower);
        }
        return result!;
    }

    private static void CheckBelongsToModel(ServedModelEntry model, SegmentState state, int index)
    {
        var d = model.Description;
        var key = state.Key;
        if (key.ModelFingerprint != d.Fingerprint || key.P != d.TowerLayers || key.TokenizerFingerprint != d.TokenizerFingerprint
            || key.PositionMode != d.PositionMode || state.Hidden != d.HiddenSize)
        {
            throw new RequestException(StatusCode.InvalidArgument,
                $"segments[{index}] was encoded by a different model (or P / tokenizer) than '{d.Name}'; encode it with this model");
        }
        var expected = index == 0 ? SegmentRole.First : SegmentRole.Other;
        if (key.Role != expected)
        {
            throw new RequestException(StatusCode.InvalidArgument,
                $"segments[{index}] was encoded as {RoleName(key.Role)} but is used as {(index == 0 ? "the first segment" : "a later segment")}; " +
                $"encode it with {RoleName(expected)} (the role decides [CLS] and token types)");
        }
    }

    private async Task<HeadOutput> RunJointAsync(ServedModelEntry model, IReadOnlyList<SegmentTensor> segments, HeadKind head, CancellationToken ct)
    {
        var job = new JointJob(segments, head);
        return await model.Joints.EnqueueAsync(job, job.Tokens, ct).ConfigureAwait(false);
    }

    private async Task<ClaimVerification> VerifyClaimAsync(ServedModelEntry model, CombineRequest request, ResolvedSegment[] resolved, CancellationToken ct)
    {
        var claim = resolved[0].Tensor;
        var pending = new Task<HeadOutput>[resolved.Length - 1];
        for (int e = 1; e < resolved.Length; e++)
        {
            pending[e - 1] = RunJointAsync(model, [claim, resolved[e].Tensor], HeadKind.Classification, ct);
        }
        var outputs = await Task.WhenAll(pending).ConfigureAwait(false);
        var labels = model.Description.Labels;
        var probabilities = outputs.Select(o => LabelMath.Softmax(o.Logits)).ToArray();
        var rule = request.Aggregation switch
        {
            Aggregation.Mean => AggregationRule.Mean,
            Aggregation.Majority => AggregationRule.Majority,
            _ => AggregationRule.MaxConfidence,
        };
        var verdict = EvidenceAggregator.Aggregate(probabilities, EvidenceAggregator.FindNeutralLabel(labels), rule);
        var result = new ClaimVerification
        {
            Verdict = LabelName(labels, verdict.Label),
            Aggregation = request.Aggregation == Aggregation.Unspecified ? Aggregation.MaxConfidence : request.Aggregation,
        };
        AddScores(result.VerdictScores, labels, verdict.Probabilities, null);
        int take = request.TopK > 0 ? Math.Min(request.TopK, verdict.Ranking.Length) : verdict.Ranking.Length;
        for (int rank = 0; rank < take; rank++)
        {
            int e = verdict.Ranking[rank];
            var item = new EvidenceResult
            {
                Index = e + 1,
                SegmentId = resolved[e + 1].Id.ToString(),
                Label = LabelName(labels, LabelMath.ArgMax(probabilities[e])),
                Rank = rank + 1,
            };
            AddScores(item.Scores, labels, probabilities[e], outputs[e].Logits);
            result.Evidence.Add(item);
        }
        return result;
    }

    private static Classification ToClassification(ServedModelEntry model, float[] logits)
    {
        var probabilities = LabelMath.Softmax(logits);
        var result = new Classification { Label = LabelName(model.Description.Labels, LabelMath.ArgMax(probabilities)) };
        AddScores(result.Scores, model.Description.Labels, probabilities, logits);
        return result;
    }

    private static YesNoAnswer ToYesNo(ServedModelEntry model, float[] logits)
    {
        var labels = model.Description.Labels;
        var probabilities = LabelMath.Softmax(logits);
        int yes = model.Description.YesLabel; // ValidateCombineShape refused models without one
        var result = new YesNoAnswer { YesProbability = probabilities[yes] };
        result.Answer = LabelMath.ArgMax(probabilities) == yes;
        AddScores(result.Scores, labels, probabilities, logits);
        return result;
    }

    private static ExtractiveAnswer ExtractSpans(CombineRequest request, ResolvedSegment[] resolved, HeadOutput output)
    {
        if (output.StartLogits is null || output.EndLogits is null)
        {
            throw new InvalidOperationException("the span head returned no start/end logits");
        }
        int maxTokens = request.MaxAnswerTokens > 0 ? request.MaxAnswerTokens : DefaultMaxAnswerTokens;
        int nBest = request.NBest > 0 ? request.NBest : 1;
        var candidates = new List<AnswerSpan>();
        int offset = resolved[0].Tensor.TokenIds.Length;
        for (int s = 1; s < resolved.Length; s++)
        {
            var segment = resolved[s];
            int tokens = segment.Tensor.TokenIds.Length;
            if (segment.Text is null || segment.Offsets is null)
            {
                throw new RequestException(StatusCode.InvalidArgument,
                    $"segments[{s}] is a stored segment; extractive QA needs the passage text to return answer offsets: send passages inline");
            }
            // The last token of a segment is [SEP]; special tokens have empty offsets and never start or end an answer.
            for (int i = 0; i < tokens; i++)
            {
                if (segment.Offsets[i].End <= segment.Offsets[i].Start) continue;
                for (int j = i; j < tokens && j < i + maxTokens; j++)
                {
                    if (segment.Offsets[j].End <= segment.Offsets[j].Start) continue;
                    float score = output.StartLogits[offset + i] + output.EndLogits[offset + j];
                    int start = segment.Offsets[i].Start, end = segment.Offsets[j].End;
                    candidates.Add(new AnswerSpan { Text = segment.Text[start..end], SegmentIndex = s, CharStart = start, CharEnd = end, Score = score });
                }
            }
            offset += tokens;
        }
        var answer = new ExtractiveAnswer();
        answer.Answers.AddRange(candidates.OrderByDescending(c => c.Score).Take(nBest));
        return answer;
    }

    // ---------------------------------------------------------------- segments

    public async Task<GetSegmentsResponse> GetSegments(GetSegmentsRequest request, ServerCallContext context)
    {
        var model = _models.Resolve(request.Model);
        CheckLookupSize(request.SegmentIds.Count + request.Names.Count);
        var ct = context.CancellationToken;
        var response = new GetSegmentsResponse();
        var ids = request.SegmentIds.Select((s, i) => ParseId(s, $"segment_ids[{i}]")).ToList();
        var names = new List<SegmentName>();
        foreach (var name in request.Names)
        {
            ValidateName(name, "names");
            var id = await _store.ResolveNameAsync(StoreNamespace(model, name.Namespace), name.Name, ct).ConfigureAwait(false);
            if (id is null) response.MissingNames.Add(name);
            else
            {
                ids.Add(id.Value);
                names.Add(name);
            }
        }
        var got = await _store.GetManyAsync(ids, ct).ConfigureAwait(false);
        int byId = request.SegmentIds.Count;
        for (int k = 0; k < ids.Count; k++)
        {
            var state = got.States[k];
            if (state is null)
            {
                if (k < byId) response.MissingIds.Add(ids[k].ToString());
                else response.MissingNames.Add(names[k - byId]);
                continue;
            }
            var info = ToInfo(model, ids[k], state, request.IncludeTokens);
            if (k >= byId) info.Name = names[k - byId];
            response.Found.Add(info);
        }
        return response;
    }

    public async Task<DeleteSegmentsResponse> DeleteSegments(DeleteSegmentsRequest request, ServerCallContext context)
    {
        var model = _models.Resolve(request.Model);
        CheckLookupSize(request.SegmentIds.Count + request.Names.Count);
        var ct = context.CancellationToken;
        var ids = request.SegmentIds.Select((s, i) => ParseId(s, $"segment_ids[{i}]")).ToList();
        foreach (var name in request.Names) ValidateName(name, "names");
        var outcome = await _store.DeleteSegmentsAsync(ids, request.Names.Select(n => (StoreNamespace(model, n.Namespace), n.Name)).ToList(), ct).ConfigureAwait(false);
        var response = new DeleteSegmentsResponse { Deleted = outcome.Deleted };
        response.NotFoundIds.AddRange(outcome.NotFoundIds.Select(i => ids[i].ToString()));
        response.NotFoundNames.AddRange(outcome.NotFoundNames.Select(i => request.Names[i]));
        return response;
    }

    public async Task<ListSegmentsResponse> ListSegments(ListSegmentsRequest request, ServerCallContext context)
    {
        var model = _models.Resolve(request.Model);
        if (request.Namespace.Length == 0) throw new RequestException("namespace is required: names are listed per namespace");
        ValidateNamespace(request.Namespace, "namespace");
        int pageSize = request.PageSize == 0 ? DefaultListPageSize : request.PageSize;
        if (pageSize < 1 || pageSize > NameRules.MaxPageSize)
        {
            throw new RequestException($"page_size must be in 1..{NameRules.MaxPageSize} (0 means {DefaultListPageSize})");
        }
        var ct = context.CancellationToken;
        NamePage page;
        try
        {
            page = await _store.ListNamesAsync(StoreNamespace(model, request.Namespace), pageSize, request.PageToken, ct).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            throw new RequestException("page_token was not issued by this server; start again with an empty page_token");
        }
        var got = await _store.GetManyAsync(page.Names.Select(n => n.Id).ToArray(), ct).ConfigureAwait(false);
        var response = new ListSegmentsResponse { NextPageToken = page.NextPageToken ?? "" };
        for (int k = 0; k < page.Names.Count; k++)
        {
            var entry = page.Names[k];
            if (got.States[k] is not { } state) continue; // a dangling name (its segment is gone) is not listed
            var info = ToInfo(model, entry.Id, state, includeTokens: false);
            info.Name = new SegmentName { Namespace = request.Namespace, Name = entry.Name };
            response.Segments.Add(info);
        }
        return response;
    }

    // ---------------------------------------------------------------- models

    public Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse { DefaultModel = _models.DefaultModel };
        foreach (var m in _models.All) response.Models.Add(ToModelInfo(m));
        return Task.FromResult(response);
    }

    public Task<ModelInfo> DescribeModel(DescribeModelRequest request, ServerCallContext context) =>
        Task.FromResult(ToModelInfo(_models.Resolve(request.Model)));

    private ModelInfo ToModelInfo(ServedModelEntry model)
    {
        var d = model.Description;
        var info = new ModelInfo
        {
            Name = d.Name,
            Architecture = d.Architecture,
            NumLayers = d.NumLayers,
            TowerLayers = d.TowerLayers,
            HiddenSize = d.HiddenSize,
            NumHeads = d.NumHeads,
            VocabSize = d.VocabSize,
            MaxPositions = d.MaxPositions,
            PositionMode = d.PositionMode switch
            {
                PositionMode.PerSegment => "per_segment",
                PositionMode.RoleOffset => "role_offset",
                _ => "continuous",
            },
            Fingerprint = d.Fingerprint,
            TokenizerFingerprint = d.TokenizerFingerprint,
            StateCodec = CodecName(_codec),
            MaxSegmentTokens = d.MaxSegmentTokens,
            // One store holds every model's segments; a per-model count would need a scan.
            StoredSegments = -1,
        };
        info.Labels.AddRange(d.Labels);
        if (d.HasClassificationHead) info.Tasks.AddRange([TaskType.Classify, d.YesLabel >= 0 ? TaskType.YesNo : TaskType.VerifyClaim]);
        if (d.HasSpanHead) info.Tasks.Add(TaskType.ExtractiveQa);
        return info;
    }

    // ---------------------------------------------------------------- helpers

    private TokenizedSegment Tokenize(ServedModelEntry model, SegmentInput input, SegmentRole role, string what, bool forceTruncate = false)
    {
        bool truncate = forceTruncate || input.Truncation == Truncation.Truncate;
        return input.ContentCase switch
        {
            SegmentInput.ContentOneofCase.Text => TokenizeText(model, input.Text, role, truncate, what),
            SegmentInput.ContentOneofCase.TokenIds => input.TokenIds.Ids.Count == 0
                ? throw new RequestException($"{what}: token_ids is empty")
                : model.Model.FromTokenIds(ToArray(input.TokenIds.Ids), role, truncate),
            _ => throw new RequestException($"{what}: set text or token_ids"),
        };
    }

    private TokenizedSegment TokenizeText(ServedModelEntry model, string text, SegmentRole role, bool truncate, string what)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new RequestException($"{what}: text is empty");
        if (text.Length > _limits.MaxTextChars)
        {
            throw new RequestException(StatusCode.ResourceExhausted, $"{what}: {text.Length} characters; the limit is {_limits.MaxTextChars}");
        }
        try
        {
            return model.Model.Tokenize(text, role, truncate);
        }
        catch (ModelInputException ex)
        {
            throw new ModelInputException($"{what}: {ex.Message}", ex.ExceedsLimit);
        }
    }

    private async Task PutNameAsync(ServedModelEntry model, SegmentName name, SegmentId id, CancellationToken ct)
    {
        ValidateName(name, "name");
        await _store.PutNameAsync(StoreNamespace(model, name.Namespace), name.Name, id, ct).ConfigureAwait(false);
    }

    // Names live per model: the same namespace on two models is two key spaces.
    private static string StoreNamespace(ServedModelEntry model, string ns) => $"{model.Description.Name}/{ns}";

    private static void ValidateName(SegmentName name, string field) => RequestValidator.Name(name, field);

    private static void ValidateNamespace(string ns, string field) => RequestValidator.Namespace(ns, field);

    private void CheckLookupSize(int count)
    {
        if (count > _limits.MaxIdsPerLookup)
        {
            throw new RequestException(StatusCode.ResourceExhausted, $"{count} ids and names in one call; the limit is {_limits.MaxIdsPerLookup}");
        }
    }

    private static SegmentId ParseId(string text, string field)
    {
        if (!SegmentId.TryParse(text, out var id))
        {
            throw new RequestException(StatusCode.InvalidArgument,
                $"{field} is not a segment id ({ErrorText.Quote(text)}): ids are {SegmentId.HexLength} hex characters as returned by EncodeSegment");
        }
        return id;
    }

    private SegmentInfo ToInfo(ServedModelEntry model, SegmentId id, SegmentState state, bool includeTokens)
    {
        var info = new SegmentInfo
        {
            SegmentId = id.ToString(),
            Model = model.Description.Name,
            Role = state.Key.Role == SegmentRole.First ? Role.First : Role.Other,
            TokenCount = state.Tokens,
            Codec = CodecName(_codec),
            StoredBytes = StateRecord.EncodedLength(state, _codec),
        };
        if (includeTokens) info.TokenIds.AddRange(state.Key.TokenIds.ToArray());
        return info;
    }

    private static SegmentRole ToRole(Role role) => role == Role.First ? SegmentRole.First : SegmentRole.Other;

    private static string RoleName(SegmentRole role) => role == SegmentRole.First ? "ROLE_FIRST" : "ROLE_OTHER";

    private static string TaskName(TaskType task) => task switch
    {
        TaskType.Classify => "TASK_TYPE_CLASSIFY",
        TaskType.VerifyClaim => "TASK_TYPE_VERIFY_CLAIM",
        TaskType.YesNo => "TASK_TYPE_YES_NO",
        TaskType.ExtractiveQa => "TASK_TYPE_EXTRACTIVE_QA",
        _ => task.ToString(),
    };

    private static string CodecName(StateCodec codec) => codec.ToString().ToLowerInvariant();

    private static string LabelName(IReadOnlyList<string> labels, int index) => index < labels.Count ? labels[index] : $"LABEL_{index}";

    private static void AddScores(RepeatedField<LabelScore> scores, IReadOnlyList<string> labels, float[] probabilities, float[]? logits)
    {
        for (int l = 0; l < probabilities.Length; l++)
        {
            scores.Add(new LabelScore { Label = LabelName(labels, l), Probability = probabilities[l], Logit = logits?[l] ?? 0f });
        }
    }

    private static int[] ToArray(RepeatedField<int> ids)
    {
        var array = new int[ids.Count];
        ids.CopyTo(array, 0);
        return array;
    }

    private static long Micros(Stopwatch sw) => (long)(sw.Elapsed.TotalMilliseconds * 1000);
}
