export { LocalCluster, PortsInUseError, type LocalClusterOptions, type LocalNodeInfo, type NodeRef } from './local-cluster.js';
export { findFreePorts, takenPorts } from '@ringkv/node';
export { readRssBytes } from './proc-rss.js';
export { tailFile } from './log-tail.js';
export { cliEntry, type NodeSpec } from './node-process.js';
export { waitUntilReady, NodeNotReadyError, type ReadyCheck } from './wait-ready.js';
export { runWorkload, type RunOptions, type WorkloadStats } from './bench-run.js';
