using Xunit;

// The suites share one server and this machine has few cores: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
