using Xunit;

// The suites share servers (health status, counters) and this machine has few cores: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
