using Lait.Store;
using Lait.Store.Codec;
using Lait.Store.Faster;
using Lait.Store.CrashHost;

// Usage:
//   ingest <dir> <firstSeed> <workers>   put states with seeds firstSeed, firstSeed+1, ... from <workers>
//                                        concurrent tasks (durable mode) and print "ACK <seed> <id>" after
//                                        each put completes, until killed.
//   open <dir>                           try to open the store; print "OPENED" or "REFUSED <message>".
// The states are CrashStates.State(seed); the test regenerates them to compare.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: ingest <dir> <firstSeed> <workers> | open <dir>");
    return 2;
}
var options = CrashStates.Options(args[1]);
if (args[0] == "open")
{
    try
    {
        await using var store = new FasterSegmentStore(options);
        Console.WriteLine("OPENED");
        return 0;
    }
    catch (StoreOpenException e)
    {
        Console.WriteLine("REFUSED " + e.Message.ReplaceLineEndings(" "));
        return 3;
    }
}

long firstSeed = long.Parse(args[2]);
int workers = int.Parse(args[3]);
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
var outputLock = new object();
var faster = new FasterSegmentStore(options);
Console.Out.Flush();
lock (outputLock)
{
    output.WriteLine("READY");
    output.Flush();
}
long next = firstSeed;
var tasks = new Task[workers];
for (int w = 0; w < workers; w++)
{
    tasks[w] = Task.Run(async () =>
    {
        while (true)
        {
            long seed = Interlocked.Increment(ref next) - 1;
            var put = await faster.PutAsync(CrashStates.State(seed));
            lock (outputLock)
            {
                // One write + flush per ack: a line on stdout is an acknowledged, durable put.
                output.WriteLine($"ACK {seed} {put.Id}");
                output.Flush();
            }
        }
    });
}
await Task.WhenAll(tasks);
return 0;
