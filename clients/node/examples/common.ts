// Shared bits of the examples: the server address and lazy sentence splitting of a file.
import * as fs from 'node:fs';
import * as readline from 'node:readline';

/** --address HOST:PORT, else $LAIT_ADDRESS, else 127.0.0.1:50051; returns the other arguments. */
export function parseArgs(argv: string[]): { address: string; apiKey?: string; flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) flags.set(argv[i].slice(2), argv[++i] ?? '');
    else positional.push(argv[i]);
  }
  const address = flags.get('address') ?? process.env.LAIT_ADDRESS ?? '127.0.0.1:50051';
  return { address, apiKey: flags.get('api-key') ?? process.env.LAIT_API_KEY, flags, positional };
}

// Sentence ends: . ! ? followed by space, or a line break. The server's EncodeDocument splits
// documents itself when you do not need your own splitting.
const SENTENCE_END = /(?<=[.!?])\s+/;

/** Yields the sentences of a text file lazily, a line at a time (files of any size). */
export async function* sentencesOf(path: string): AsyncGenerator<string> {
  const lines = readline.createInterface({ input: fs.createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    for (const sentence of line.split(SENTENCE_END)) {
      if (sentence.trim()) yield sentence.trim();
    }
  }
}

export function usage(text: string): never {
  console.error(text);
  process.exit(2);
}
