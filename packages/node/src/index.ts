export { startNode, type RunningNode } from './start-node.js';
export { NODE_DEFAULTS, NODE_LIMIT_DEFAULTS, type NodeLimits, type NodeOptions, type NodeSecurity } from './node-options.js';
export { HTTP_LIMIT_DEFAULTS, type HttpLimits } from './http-limits.js';
export { InsecureBindError, bindProblems, isLoopbackHost } from './bind-safety.js';
export { authTokenProblem } from './http-auth.js';
export { RingkvNode, type RingkvNodeDeps } from './ringkv-node.js';
export { Coordinator, type WriteRequest, type WriteResult } from './coordinator.js';
export { conditionalWrite, type WriteConditions } from './conditional-write.js';
export { ReplicaService } from './replica-service.js';
export { ClusterView } from './cluster-view.js';
export { buildHttpApi } from './http-api.js';
export { systemClock, systemRandom } from './system-ports.js';
export { silentLogger, type Logger } from './logger.js';
export { RPC_OPS } from './rpc-ops.js';
export { ClusterAdmin } from './cluster-admin.js';
// The offline repair of a damaged data directory, for the CLI's repair-store (which depends on this package only).
export { StoreLockedError, TABLE_READS, repairStore, type StoreRepairOutcome, type TableReads } from '@ringkv/storage';
// The sibling count past which /status lists a key, for `ringkv status` to name.
export { siblingWarningThreshold } from './sibling-heavy-keys.js';
export { ephemeralPortFloor, findFreePorts, randomBasePortBelowEphemeral, takenPorts } from './free-ports.js';
