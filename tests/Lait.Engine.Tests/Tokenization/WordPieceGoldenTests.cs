using Lait.Engine.Tokenization;
using Xunit;

namespace Lait.Engine.Tests.Tokenization;

/// <summary>The real all-MiniLM-L6-v2 (bert-base-uncased) vocabulary against the Python reference's goldens.</summary>
public sealed class WordPieceGoldenTests
{
    private static string MiniLm => SharedData.Require(SharedData.MiniLmFolder);

    public static TheoryData<string> SetNames => new() { "uncased", "cased", "lowercase_keep_accents", "strip_accents_keep_case", "no_clean_no_chinese", "short_words" };

    [SharedDataTheory]
    [MemberData(nameof(SetNames))]
    public void VocabTxt_MatchesGoldenIdsAndOffsets(string setName)
    {
        GoldenSet set = GoldenFiles.WordPiece.Set(setName);
        var normalizer = new BertNormalizerOptions(
            CleanText: set.Bool("clean_text", true),
            HandleChineseChars: set.Bool("handle_chinese_chars", true),
            StripAccents: set.NullableBool("strip_accents"),
            Lowercase: set.Bool("lowercase", true));
        var options = new WordPieceOptions(MaxInputCharsPerWord: set.Int("max_input_chars_per_word", 100));
        WordPieceTokenizer tokenizer = TokenizerLoader.FromVocabTxt(Path.Combine(MiniLm, "vocab.txt"), normalizer, options);

        Assert.NotEmpty(set.Cases);
        foreach (GoldenCase c in set.Cases)
        {
            GoldenAssert.Matches(setName, c.Text, c.Ids, c.Offsets, tokenizer.Encode(c.Text), tokenizer.Vocabulary);
        }
    }

    [SharedDataFact]
    public void TokenizerJson_GivesTheSameResultsAsVocabTxt()
    {
        ITokenizer fromJson = TokenizerLoader.FromTokenizerJson(Path.Combine(MiniLm, "tokenizer.json"));
        Assert.IsType<WordPieceTokenizer>(fromJson);
        foreach (GoldenCase c in GoldenFiles.WordPiece.Set("uncased").Cases)
        {
            GoldenAssert.Matches("tokenizer.json", c.Text, c.Ids, c.Offsets, fromJson.Encode(c.Text), fromJson.Vocabulary);
        }
    }

    [SharedDataFact]
    public void TokenizerJsonAndVocabTxt_HaveTheSameFingerprint()
    {
        ITokenizer fromJson = TokenizerLoader.FromTokenizerJson(Path.Combine(MiniLm, "tokenizer.json"));
        WordPieceTokenizer fromTxt = TokenizerLoader.FromVocabTxt(Path.Combine(MiniLm, "vocab.txt"));
        Assert.Equal(fromTxt.Fingerprint, fromJson.Fingerprint);
        Assert.Matches("^[0-9a-f]{64}$", fromTxt.Fingerprint);
    }

    [SharedDataFact]
    public void Fingerprint_ChangesWithNormalizerSettings()
    {
        string vocab = Path.Combine(MiniLm, "vocab.txt");
        string uncased = TokenizerLoader.FromVocabTxt(vocab).Fingerprint;
        string cased = TokenizerLoader.FromVocabTxt(vocab, new BertNormalizerOptions(Lowercase: false)).Fingerprint;
        string shortWords = TokenizerLoader.FromVocabTxt(vocab, null, new WordPieceOptions(MaxInputCharsPerWord: 50)).Fingerprint;
        Assert.NotEqual(uncased, cased);
        Assert.NotEqual(uncased, shortWords);
    }

    [SharedDataFact]
    public void FromDirectory_PicksTokenizerJsonWordPiece()
    {
        ITokenizer tokenizer = TokenizerLoader.FromDirectory(MiniLm);
        Assert.Equal(TokenizerKind.WordPiece, tokenizer.Kind);
        Assert.Equal(30522, tokenizer.Vocabulary.Size);
    }

    [SharedDataFact("corpus")]
    public void CorpusLines_MatchGoldenIdsAndOffsets()
    {
        ITokenizer tokenizer = TokenizerLoader.FromDirectory(MiniLm);
        var files = new Dictionary<string, string[]>();
        CorpusDocument doc = GoldenFiles.Corpus;
        Assert.True(doc.Cases.Count >= 200, $"only {doc.Cases.Count} corpus cases");
        foreach (CorpusCase c in doc.Cases)
        {
            if (!files.TryGetValue(c.File, out string[]? lines))
            {
                int lastLine = doc.Cases.Where(x => x.File == c.File).Max(x => x.Line);
                files[c.File] = lines = ReadLinesSplitOnLf(SharedData.Require(c.File), lastLine + 1);
            }

            string line = lines[c.Line];
            string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(line)));
            Assert.True(sha == c.Sha256, $"{c.File} line {c.Line} changed since the goldens were written");
            GoldenAssert.Matches($"{c.File}:{c.Line}", line, c.Ids, c.Offsets, tokenizer.Encode(line), tokenizer.Vocabulary);
        }
    }

    /// <summary>The generator's split: UTF-8 text cut on '\n' only (File.ReadLines would also cut on '\r').</summary>
    private static string[] ReadLinesSplitOnLf(string path, int count)
    {
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8);
        var lines = new List<string>(count);
        var line = new System.Text.StringBuilder();
        int c;
        while (lines.Count < count && (c = reader.Read()) >= 0)
        {
            if (c == '\n')
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            else
            {
                line.Append((char)c);
            }
        }

        return lines.ToArray();
    }
}
