export { RingkvClient, type RepairSummary, normalizeNodeUrl } from './ringkv-client.js';
export type { RingkvClientOptions, GetOptions, GetResult, PutOptions, PutResult, DeleteOptions } from './ringkv-client.js';
export { RingkvHttpError } from './http-error.js';
export type { ClientErrorCode } from './http-error.js';
export { RingkvConnectionError, isRetryable, connectionErrorCode } from './connection-error.js';
export { readNodeStatus } from './node-status.js';
export type { NodeStatus, MemberStatus } from './node-status.js';
export { parseSiblingsBody } from './siblings-body.js';
export type { Sibling } from './siblings-body.js';
