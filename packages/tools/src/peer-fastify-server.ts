#!/usr/bin/env node
/**
 * The HTTP ceiling of this machine for `scripts/bench --compare`: a fastify
 * server with ringkv's routes that does nothing. GET /kv/* answers a fixed
 * value, PUT /kv/* reads the body and answers 204.
 * Usage: peer-fastify-server.js <port> <value-bytes>
 */
import { fastify } from 'fastify';

const port = Number(process.argv[2]);
const valueBytes = Number(process.argv[3] ?? 100);
if (!Number.isInteger(port) || !Number.isInteger(valueBytes)) {
  process.stderr.write('usage: peer-fastify-server.js <port> <value-bytes>\n');
  process.exit(2);
}

const value = Buffer.alloc(valueBytes, 0x61);
const app = fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
// Take any body as raw bytes, as ringkv does.
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.get('/kv/*', async (_request, reply) => reply.header('content-type', 'application/octet-stream').send(value));
app.put('/kv/*', async (_request, reply) => reply.code(204).send());
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
