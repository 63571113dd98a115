using Grpc.Core;
using Lait.Protos.V1;
using Lait.Reliability.Tests.Support;
using Lait.Testing;

namespace Lait.Reliability.Tests;

/// <summary>
/// Names of a deleted segment (issue 17, item 9) across kill -9: an acknowledged delete stays done, the
/// other names of the segment stay absent everywhere, and an acknowledged name is never lost.
/// </summary>
public class DanglingNameTests
{
    private static SegmentName Name(string name) => new() { Namespace = "crash", Name = name };

    private static EncodeSegmentRequest Named(string text, string name) =>
        new() { Segment = new SegmentInput { Text = text }, Name = Name(name), Durability = Durability.Durable };

    [Fact]
    public async Task DanglingNamesStayAbsentAndAcknowledgedNamesStayAfterKillNine()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        string[] args = ["--model-dir", model, "--store-dir", dir.Sub("store"), "--codec", "fp32"];
        string shared = "the bird can fly .", other = "the cat is small .";

        string sharedId;
        await using (var server = await ServerProcess.StartAsync(args))
        {
            var acks = await EncodeStream.EncodeAllAsync(server.Client,
                [Named(shared, "A"), Named(shared, "B"), Named(other, "C")], TimeSpan.FromSeconds(60));
            Assert.All(acks, a => Assert.Null(a.Error));
            sharedId = acks[0].SegmentId;
            var deleted = await server.Client.DeleteSegmentsAsync(new DeleteSegmentsRequest { Names = { Name("A") } });
            Assert.Equal(1, deleted.Deleted);
            await server.KillAsync();
        }

        await using (var server = await ServerProcess.StartAsync(args))
        {
            // The delete was acknowledged: A and the segment are gone, B dangles, C is untouched.
            var got = await server.Client.GetSegmentsAsync(new GetSegmentsRequest { SegmentIds = { sharedId }, Names = { Name("A"), Name("B"), Name("C") } });
            Assert.Equal([sharedId], got.MissingIds);
            Assert.Equal(["A", "B"], got.MissingNames.Select(n => n.Name));
            Assert.Equal("C", Assert.Single(got.Found).Name.Name);
            var listed = await server.Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = "crash" });
            Assert.Equal(["C"], listed.Segments.Select(s => s.Name.Name));
            var combine = new CombineRequest { Task = TaskType.VerifyClaim };
            combine.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "the bird is an animal ." } });
            combine.Segments.Add(new SegmentRef { Name = Name("B") });
            var notFound = await Assert.ThrowsAsync<RpcException>(() => server.Client.CombineAsync(combine).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
            Assert.Contains("'crash/B'", notFound.Status.Detail);

            // Naming the content again: the acknowledged name survives the next kill.
            var again = await EncodeStream.EncodeAllAsync(server.Client, [Named(shared, "B")], TimeSpan.FromSeconds(60));
            Assert.Null(again[0].Error);
            await server.KillAsync();
        }

        await using (var server = await ServerProcess.StartAsync(args))
        {
            var listed = await server.Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = "crash" });
            Assert.Equal(["B", "C"], listed.Segments.Select(s => s.Name.Name));
            Assert.Equal(sharedId, listed.Segments[0].SegmentId);
        }
    }
}
