export { LaitClient, isSegmentId } from './client';
export type { LaitClientOptions } from './client';
export { LaitError, statusName } from './errors';
export * from './types';
