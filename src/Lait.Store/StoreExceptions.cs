using Lait.Store.Ids;

namespace Lait.Store;

/// <summary>Base of every store failure that is not a caller bug (those are ArgumentException).</summary>
public abstract class StoreException : Exception
{
    protected StoreException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A stored record failed validation (magic, version, length, checksum, key or id mismatch).
/// Its bytes are never returned as data. Service mapping: DATA_LOSS.
/// </summary>
public sealed class StoreCorruptionException : StoreException
{
    public StoreCorruptionException(SegmentId id, string reason)
        : base($"Stored state {id} is corrupt ({reason}); it is not served.")
    {
        Id = id;
        Reason = reason;
    }

    public SegmentId Id { get; }
    public string Reason { get; }
}

/// <summary>
/// The backend cannot be reached or cannot commit (Redis down, device write failed, store disposed).
/// Retrying later may succeed. Service mapping: UNAVAILABLE.
/// </summary>
public sealed class StoreUnavailableException : StoreException
{
    public StoreUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// No space: the disk under the store directory is below the configured free-space floor.
/// Nothing was written. Service mapping: RESOURCE_EXHAUSTED.
/// </summary>
public sealed class StoreFullException : StoreException
{
    public StoreFullException(string message) : base(message) { }
}

/// <summary>
/// The store directory cannot be opened: another process holds it, or it is not writable.
/// Raised at open; the service should fail to start with this message.
/// </summary>
public sealed class StoreOpenException : StoreException
{
    public StoreOpenException(string message, Exception? inner = null) : base(message, inner) { }
}
