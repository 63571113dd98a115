// Answers a yes/no question over a passage.
//
//   node dist/examples/yes-no.js "Is water wet?" "Water is wet. Fire is hot." --model boolq --address 127.0.0.1:50051
//
// Output: `answer: yes|no`, then `yes_probability: <p>`.
import { LaitClient, LaitError } from '../src';
import { parseArgs, usage } from './common';

async function main(): Promise<number> {
  const { address, apiKey, flags, positional } = parseArgs(process.argv.slice(2));
  if (positional.length !== 2) usage('usage: yes-no.js QUESTION PASSAGE [--model NAME] [--address HOST:PORT]');
  const [question, passage] = positional;
  const client = new LaitClient(address, { apiKey, model: flags.get('model') ?? '' });
  try {
    const answer = await client.answerYesNo(question, passage);
    console.log(`answer: ${answer.answer ? 'yes' : 'no'}`);
    console.log(`yes_probability: ${answer.yesProbability.toFixed(4)}`);
    return 0;
  } catch (error) {
    console.error(`question failed: ${error instanceof LaitError ? error.message : String(error)}`);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => { process.exitCode = code; });
