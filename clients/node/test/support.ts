// Shared settings of the Node client tests: the server address comes from LAIT_ADDRESS.
import type { TestContext } from 'node:test';
import { LaitClient, ModelInfo, TaskName } from '../src';

export const SEGMENT_ID = /^[0-9a-f]{64}$/;

export function address(): string {
  const value = process.env.LAIT_ADDRESS;
  if (!value) {
    throw new Error('LAIT_ADDRESS is not set (dotnet test tests/Lait.Clients.Tests starts a server and sets it)');
  }
  return value;
}

export function client(options: { apiKey?: string } = {}): LaitClient {
  return new LaitClient(address(), { timeoutMs: 60000, ...options });
}

/**
 * A served model with `task` (and one of `labels`, if given). Without one the test is skipped,
 * or fails when LAIT_REQUIRE_ALL_TASKS=1 (the xunit driver sets it) so a misconfigured run
 * cannot pass silently.
 */
export async function modelWithTask(t: TestContext, c: LaitClient, task: TaskName, labels?: string[]): Promise<ModelInfo | undefined> {
  const { models } = await c.listModels();
  const model = models.find((m) => m.tasks.includes(task) && (!labels || m.labels.some((l) => labels.includes(l.toLowerCase()))));
  if (!model) {
    const message = `no served model has task ${task}${labels ? ` with one of the labels ${labels.join(', ')}` : ''}`;
    if (process.env.LAIT_REQUIRE_ALL_TASKS === '1') throw new Error(message);
    t.skip(message);
  }
  return model;
}

/** A server that requires an API key (LAIT_AUTH_ADDRESS / LAIT_AUTH_KEY); skips or fails like modelWithTask. */
export function authServer(t: TestContext): { address: string; key: string } | undefined {
  const address = process.env.LAIT_AUTH_ADDRESS;
  const key = process.env.LAIT_AUTH_KEY;
  if (address && key) return { address, key };
  const message = 'LAIT_AUTH_ADDRESS / LAIT_AUTH_KEY are not set (no server with API keys)';
  if (process.env.LAIT_REQUIRE_ALL_TASKS === '1') throw new Error(message);
  t.skip(message);
  return undefined;
}

export function unique(): number {
  return Math.floor(Math.random() * 1_000_000);
}
