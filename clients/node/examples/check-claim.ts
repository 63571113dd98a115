// Ingests evidence sentences from a file, then checks a claim against them.
//
//   node dist/examples/check-claim.js "Water is wet." facts.txt --address 127.0.0.1:50051
//
// Output: `verdict: <label> (<probability>)`, then one line per evidence, best first:
// `<rank>  <label>  <probability>  <segment id>  <sentence>`.
import { Aggregation, LaitClient, LaitError } from '../src';
import { parseArgs, sentencesOf, usage } from './common';

async function main(): Promise<number> {
  const { address, apiKey, flags, positional } = parseArgs(process.argv.slice(2));
  if (positional.length !== 2) usage('usage: check-claim.js CLAIM EVIDENCE_FILE [--aggregation max_confidence|mean|majority] [--top-k K] [--address HOST:PORT]');
  const [claim, file] = positional;
  const client = new LaitClient(address, { apiKey });
  try {
    // Evidence is stored once (already-stored sentences cost no tower compute), then referred
    // to by id, as a pipeline that ingests ahead of time would do.
    const textOf = new Map<string, string>();
    const ids: string[] = [];
    const texts = sentencesOf(file);
    for await (const ack of client.encodeSegments(sentencesOf(file))) {
      const text = (await texts.next()).value as string;
      if (ack.error) {
        console.error(`skipping evidence (${ack.error.codeName}: ${ack.error.message}): ${text}`);
        continue;
      }
      ids.push(ack.segmentId);
      textOf.set(ack.segmentId, text);
    }
    const result = await client.verifyClaim(claim, ids.map((id) => ({ id })), {
      aggregation: (flags.get('aggregation') ?? 'max_confidence') as Aggregation,
      topK: Number(flags.get('top-k') ?? 0),
    });
    const best = result.verdictScores.reduce((a, b) => (b.probability > a.probability ? b : a));
    console.log(`verdict: ${result.verdict} (${best.probability.toFixed(3)})`);
    for (const e of result.evidence) {
      const probability = e.scores.find((s) => s.label === e.label)?.probability ?? 0;
      console.log(`${e.rank}  ${e.label}  ${probability.toFixed(3)}  ${e.segmentId}  ${textOf.get(e.segmentId)}`);
    }
    return 0;
  } catch (error) {
    console.error(`check failed: ${error instanceof LaitError ? error.message : String(error)}`);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => { process.exitCode = code; });
