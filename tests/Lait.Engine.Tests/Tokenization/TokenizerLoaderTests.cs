using Lait.Engine.Tests.Checkpoints;
using Lait.Engine.Tokenization;
using Xunit;

namespace Lait.Engine.Tests.Tokenization;

/// <summary>Missing, malformed or unsupported tokenizer files give a TokenizerException naming the file and problem.</summary>
public sealed class TokenizerLoaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void MissingFolder_IsNamed()
    {
        string missing = Path.Combine(_dir.Path, "absent");
        TokenizerException e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromDirectory(missing));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void FolderWithoutTokenizerFiles_ListsWhatWasExpected()
    {
        TokenizerException e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromDirectory(_dir.Path));
        Assert.Contains("vocab.txt", e.Message);
        Assert.Contains("merges.txt", e.Message);
    }

    [Fact]
    public void MalformedTokenizerJson_IsReported()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "tokenizer.json"), "{\"model\": {\"type\": \"WordPiece\", ");
        TokenizerException e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromDirectory(_dir.Path));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void UnsupportedModelType_IsNamed()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "tokenizer.json"), "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
        TokenizerException e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromDirectory(_dir.Path));
        Assert.Contains("'Unigram'", e.Message);
    }

    [Fact]
    public void MergeMakingATokenOutsideTheVocabulary_IsRejected()
    {
        string bpe = GoldenFiles.BpeTinyDirectory;
        File.Copy(Path.Combine(bpe, "vocab.json"), Path.Combine(_dir.Path, "vocab.json"));
        File.WriteAllText(Path.Combine(_dir.Path, "merges.txt"), "#version: 0.2\nq z\n");
        TokenizerException e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromDirectory(_dir.Path));
        Assert.Contains("'q' 'z'", e.Message);
    }

    [Fact]
    public void VocabTxtWithoutUnknownToken_IsRejected()
    {
        File.WriteAllLines(Path.Combine(_dir.Path, "vocab.txt"), new[] { "[PAD]", "hello" });
        TokenizerException e = Assert.Throws<TokenizerException>(() => TokenizerLoader.FromDirectory(_dir.Path));
        Assert.Contains("[UNK]", e.Message);
    }

    [Fact]
    public void VocabTxt_UsesTokenizerConfigSettings()
    {
        File.WriteAllLines(Path.Combine(_dir.Path, "vocab.txt"), new[] { "[PAD]", "[UNK]", "Hello", "hello" });
        File.WriteAllText(Path.Combine(_dir.Path, "tokenizer_config.json"), "{\"do_lower_case\": false}");
        ITokenizer cased = TokenizerLoader.FromDirectory(_dir.Path);
        Assert.Equal(2, cased.Encode("Hello").Single().Id);
        File.WriteAllText(Path.Combine(_dir.Path, "tokenizer_config.json"), "{\"do_lower_case\": true}");
        Assert.Equal(3, TokenizerLoader.FromDirectory(_dir.Path).Encode("Hello").Single().Id);
    }

    [Fact]
    public void BothVocabKinds_ConfigModelTypeDecides()
    {
        string bpe = GoldenFiles.BpeTinyDirectory;
        File.Copy(Path.Combine(bpe, "vocab.json"), Path.Combine(_dir.Path, "vocab.json"));
        File.Copy(Path.Combine(bpe, "merges.txt"), Path.Combine(_dir.Path, "merges.txt"));
        File.WriteAllLines(Path.Combine(_dir.Path, "vocab.txt"), new[] { "[PAD]", "[UNK]" });
        File.WriteAllText(Path.Combine(_dir.Path, "config.json"), "{\"model_type\": \"roberta\"}");
        Assert.Equal(TokenizerKind.ByteLevelBpe, TokenizerLoader.FromDirectory(_dir.Path).Kind);
        File.WriteAllText(Path.Combine(_dir.Path, "config.json"), "{\"model_type\": \"bert\"}");
        Assert.Equal(TokenizerKind.WordPiece, TokenizerLoader.FromDirectory(_dir.Path).Kind);
    }
}
