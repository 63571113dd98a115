// Streams the sentences of a text file into the server and prints one id per sentence.
//
//   node dist/examples/ingest-file.js facts.txt --address 127.0.0.1:50051
//
// Output: `<segment id>  new|already_stored  <sentence>` per sentence, then a summary line.
import { LaitClient, LaitError } from '../src';
import { parseArgs, sentencesOf, usage } from './common';

async function main(): Promise<number> {
  const { address, apiKey, positional } = parseArgs(process.argv.slice(2));
  const file = positional[0] ?? usage('usage: ingest-file.js FILE [--address HOST:PORT]');
  const client = new LaitClient(address, { apiKey });
  let fresh = 0;
  let stored = 0;
  let failed = 0;
  try {
    // Acks come in input order, so a second pass over the file pairs each ack with its sentence.
    const texts = sentencesOf(file);
    // The async generator is read only as fast as the server acknowledges (maxInFlight).
    for await (const ack of client.encodeSegments(sentencesOf(file))) {
      const text = (await texts.next()).value;
      if (ack.error) {
        failed++;
        console.error(`error ${ack.error.codeName}: ${ack.error.message}  ${text}`);
        continue;
      }
      if (ack.alreadyStored) stored++;
      else fresh++;
      console.log(`${ack.segmentId}  ${(ack.alreadyStored ? 'already_stored' : 'new').padEnd(14)}  ${text}`);
    }
  } catch (error) {
    console.error(`ingest failed: ${error instanceof LaitError ? error.message : String(error)}`);
    return 1;
  } finally {
    client.close();
  }
  console.log(`ingested ${fresh + stored} sentences (${fresh} new, ${stored} already stored, ${failed} failed)`);
  return failed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; });
