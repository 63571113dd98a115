using Lait.Store.Codec;
using Lait.Store.Ids;

namespace Lait.Store.Tests.Faster;

/// <summary>Finds and damages records inside a closed FASTER store's log files.</summary>
internal static class FasterFiles
{
    /// <summary>
    /// Flips one byte at <paramref name="offsetInRecord"/> from the start of the state record of
    /// <paramref name="id"/> in every log file copy that holds it. The record starts 16 bytes before the
    /// id it carries in its header (the key holds the id too, but not preceded by the magic).
    /// </summary>
    public static int FlipByteInRecord(string storeDirectory, SegmentId id, int offsetInRecord)
    {
        var idBytes = id.ToBytes();
        int flipped = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(storeDirectory, "states", "log")))
        {
            var bytes = File.ReadAllBytes(file);
            int from = 0;
            while (true)
            {
                int at = bytes.AsSpan(from).IndexOf(idBytes);
                if (at < 0)
                    break;
                at += from;
                int start = at - 16;
                if (start >= 0 && BitConverter.ToUInt32(bytes, start) == StateRecord.Magic)
                {
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.Write);
                    stream.Position = start + offsetInRecord;
                    stream.WriteByte((byte)(bytes[start + offsetInRecord] ^ 0x40));
                    flipped++;
                }
                from = at + 1;
            }
        }
        if (flipped == 0)
            throw new InvalidOperationException($"Record {id} not found in the log files of {storeDirectory}.");
        return flipped;
    }
}
