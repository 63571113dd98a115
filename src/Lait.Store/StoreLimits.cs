namespace Lait.Store;

/// <summary>Request-size limits shared by all backends.</summary>
public static class StoreLimits
{
    /// <summary>Most ids one <see cref="ISegmentStore.GetManyAsync"/> call may ask for.</summary>
    public const int MaxIdsPerGet = 10_000;

    internal static void CheckGetCount(int count)
    {
        if (count > MaxIdsPerGet)
            throw new ArgumentException($"At most {MaxIdsPerGet} ids per get, got {count}.", "ids");
    }
}
