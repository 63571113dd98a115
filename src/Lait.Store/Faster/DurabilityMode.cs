namespace Lait.Store.Faster;

/// <summary>When an acknowledged put becomes crash-safe.</summary>
public enum DurabilityMode
{
    /// <summary>
    /// Group commit: every <see cref="FasterStoreOptions.CommitInterval"/> (default 5 ms) a fold-over
    /// log checkpoint is taken if anything was written; a put completes only after a commit that covers
    /// it. An acknowledged put survives kill -9. Default.
    /// </summary>
    Durable = 0,

    /// <summary>
    /// Puts complete as soon as the record is in FASTER's in-memory log; it becomes crash-safe at the next
    /// periodic checkpoint (<see cref="FasterStoreOptions.CheckpointInterval"/>). Faster; a crash loses
    /// what was put since the last checkpoint.
    /// </summary>
    Checkpoint = 1,
}
