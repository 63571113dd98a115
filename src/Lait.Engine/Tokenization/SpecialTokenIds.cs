namespace Lait.Engine.Tokenization;

/// <summary>The ids of the special tokens a model uses. BERT: [CLS] [SEP] [PAD] [UNK] [MASK].
/// RoBERTa: &lt;s&gt; plays the role of Cls and &lt;/s&gt; of Sep. -1 where the vocabulary has none.</summary>
public sealed record SpecialTokenIds(int Cls, int Sep, int Pad, int Unk, int Mask);
