namespace Lait.Server.Configuration;

/// <summary>Per-call limits; each violation is a clear RESOURCE_EXHAUSTED or INVALID_ARGUMENT.</summary>
public sealed class ServiceLimits
{
    /// <summary>Segments in one Combine call (claim + evidence, or question + passages).</summary>
    public int MaxSegmentsPerCall { get; set; } = 257;

    /// <summary>Evidence segments paired with one claim in TASK_VERIFY_CLAIM.</summary>
    public int MaxEvidencePerClaim { get; set; } = 256;

    /// <summary>Sentences one EncodeDocument call may produce.</summary>
    public int MaxDocumentSentences { get; set; } = 2048;

    /// <summary>Characters in one text (segment or document), before tokenization.</summary>
    public int MaxTextChars { get; set; } = 1 << 20;

    /// <summary>Segments of one EncodeSegment stream being encoded or stored at once (backpressure beyond).</summary>
    public int MaxInFlightPerStream { get; set; } = 64;

    /// <summary>Ids or names in one GetSegments / DeleteSegments call.</summary>
    public int MaxIdsPerLookup { get; set; } = 1000;

    /// <summary>Concurrent EncodeSegment streams; more are refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxConcurrentStreams { get; set; } = 256;
}

/// <summary>How compute work of concurrent calls is batched.</summary>
public sealed class BatchingSettings
{
    public int MaxBatchTokens { get; set; } = 8192;
    public double MaxQueueDelayMs { get; set; } = 2;
    public int MaxQueuedItems { get; set; } = 8192;
}
