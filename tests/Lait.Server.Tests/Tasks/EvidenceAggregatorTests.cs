using Lait.Server.Tasks;

namespace Lait.Server.Tests.Tasks;

public class EvidenceAggregatorTests
{
    // Labels in the order a FEVER-style model would use: SUPPORTS, REFUTES, NOT ENOUGH INFO.
    private static readonly string[] Labels = ["SUPPORTS", "REFUTES", "NOT ENOUGH INFO"];

    [Fact]
    public void FindsNeutralLabelByName()
    {
        Assert.Equal(2, EvidenceAggregator.FindNeutralLabel(Labels));
        Assert.Equal(1, EvidenceAggregator.FindNeutralLabel(["entailment", "neutral", "contradiction"]));
        Assert.Equal(-1, EvidenceAggregator.FindNeutralLabel(["SUPPORTS", "REFUTES"]));
    }

    [Fact]
    public void MaxConfidence_OneDecisiveEvidenceSettlesTheClaimDespiteNeutralMajority()
    {
        float[][] probs = [[0.1f, 0.1f, 0.8f], [0.05f, 0.9f, 0.05f], [0.2f, 0.1f, 0.7f]];
        var verdict = EvidenceAggregator.Aggregate(probs, 2, AggregationRule.MaxConfidence);
        Assert.Equal(1, verdict.Label);
        Assert.Equal(probs[1], verdict.Probabilities);
        Assert.Equal(1, verdict.Ranking[0]);
    }

    [Fact]
    public void MaxConfidence_AllNeutralGivesNeutralFromMostNeutralEvidence()
    {
        float[][] probs = [[0.3f, 0.1f, 0.6f], [0.05f, 0.05f, 0.9f]];
        var verdict = EvidenceAggregator.Aggregate(probs, 2, AggregationRule.MaxConfidence);
        Assert.Equal(2, verdict.Label);
        Assert.Equal(probs[1], verdict.Probabilities);
        // Ranking among neutral evidence is by the strongest decisive label: evidence 0 (0.3) first.
        Assert.Equal([0, 1], verdict.Ranking);
    }

    [Fact]
    public void Ranking_DecisiveEvidenceFirstThenByConfidence()
    {
        float[][] probs = [[0.45f, 0.05f, 0.5f], [0.6f, 0.3f, 0.1f], [0.1f, 0.85f, 0.05f]];
        var verdict = EvidenceAggregator.Aggregate(probs, 2, AggregationRule.MaxConfidence);
        Assert.Equal([2, 1, 0], verdict.Ranking);
    }

    [Fact]
    public void Mean_AveragesProbabilities()
    {
        float[][] probs = [[0.6f, 0.3f, 0.1f], [0.2f, 0.7f, 0.1f]];
        var verdict = EvidenceAggregator.Aggregate(probs, 2, AggregationRule.Mean);
        Assert.Equal(1, verdict.Label);
        Assert.Equal(0.4f, verdict.Probabilities[0], 6);
        Assert.Equal(0.5f, verdict.Probabilities[1], 6);
        Assert.Equal(0.1f, verdict.Probabilities[2], 6);
    }

    [Fact]
    public void Majority_VotesAndBreaksTiesBySummedProbability()
    {
        float[][] probs = [[0.9f, 0.05f, 0.05f], [0.1f, 0.6f, 0.3f], [0.05f, 0.55f, 0.4f], [0.8f, 0.1f, 0.1f]];
        var verdict = EvidenceAggregator.Aggregate(probs, 2, AggregationRule.Majority);
        // Two votes each for SUPPORTS and REFUTES; SUPPORTS has the larger summed probability (1.85 vs 1.3).
        Assert.Equal(0, verdict.Label);
        Assert.Equal([0.5f, 0.5f, 0f], verdict.Probabilities);
    }

    [Fact]
    public void TwoWayModelWithoutNeutralUsesMostConfident()
    {
        float[][] probs = [[0.6f, 0.4f], [0.1f, 0.9f]];
        var verdict = EvidenceAggregator.Aggregate(probs, -1, AggregationRule.MaxConfidence);
        Assert.Equal(1, verdict.Label);
    }

    [Fact]
    public void RejectsEmptyAndRaggedInput()
    {
        Assert.Throws<ArgumentException>(() => EvidenceAggregator.Aggregate([], 2, AggregationRule.Mean));
        Assert.Throws<ArgumentException>(() => EvidenceAggregator.Aggregate([[0.5f, 0.5f], [1f]], -1, AggregationRule.Mean));
    }
}
