import { describe, expect, it } from 'vitest';
import { ProtocolError, parseHello, parseHelloOk, parseRequest, parseResponse, requestIdMax } from './messages.js';

const hello = { t: 'hello', magic: 'ringkv', version: 1, nodeId: 'n1', cluster: 'c' };

describe('parseHello', () => {
  it('accepts a valid hello', () => {
    expect(parseHello(hello)).toEqual(hello);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [hello]],
    ['bytes', new Uint8Array([1])],
    ['another type', { ...hello, t: 'req' }],
    ['bad magic', { ...hello, magic: 'riak' }],
    ['another version', { ...hello, version: 2 }],
    ['missing nodeId', { ...hello, nodeId: undefined }],
    ['empty nodeId', { ...hello, nodeId: '' }],
    ['nodeId over 256 chars', { ...hello, nodeId: 'n'.repeat(257) }],
    ['numeric cluster', { ...hello, cluster: 7 }],
    ['cluster over 256 chars', { ...hello, cluster: 'c'.repeat(257) }],
  ])('rejects %s', (_name, value) => {
    expect(() => parseHello(value)).toThrow(ProtocolError);
  });

  it('accepts names of exactly 256 chars', () => {
    expect(parseHello({ ...hello, nodeId: 'n'.repeat(256), cluster: 'c'.repeat(256) }).nodeId).toHaveLength(256);
  });
});

describe('parseHelloOk', () => {
  it('accepts a valid hello-ok and rejects others', () => {
    expect(parseHelloOk({ t: 'hello-ok', nodeId: 'b' })).toEqual({ t: 'hello-ok', nodeId: 'b' });
    expect(() => parseHelloOk({ t: 'hello-ok' })).toThrow(ProtocolError);
    expect(() => parseHelloOk(hello)).toThrow(ProtocolError);
  });
});

describe('parseRequest', () => {
  it('accepts a valid request with any body', () => {
    expect(parseRequest({ t: 'req', id: 0, op: 'get', body: [1] })).toEqual({ t: 'req', id: 0, op: 'get', body: [1] });
    expect(parseRequest({ t: 'req', id: requestIdMax, op: 'o'.repeat(64) }).body).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['negative id', { t: 'req', id: -1, op: 'get' }],
    ['fractional id', { t: 'req', id: 1.5, op: 'get' }],
    ['id over uint32', { t: 'req', id: requestIdMax + 1, op: 'get' }],
    ['string id', { t: 'req', id: '1', op: 'get' }],
    ['empty op', { t: 'req', id: 1, op: '' }],
    ['op over 64 chars', { t: 'req', id: 1, op: 'o'.repeat(65) }],
    ['a response', { t: 'res', id: 1, ok: true }],
  ])('rejects %s', (_name, value) => {
    expect(() => parseRequest(value)).toThrow(ProtocolError);
  });
});

describe('parseResponse', () => {
  it('accepts success and error responses', () => {
    expect(parseResponse({ t: 'res', id: 3, ok: true, body: 'x' })).toEqual({ t: 'res', id: 3, ok: true, body: 'x' });
    expect(parseResponse({ t: 'res', id: 3, ok: false, code: 'E', message: '' })).toEqual({
      t: 'res',
      id: 3,
      ok: false,
      code: 'E',
      message: '',
    });
  });

  it.each<[string, unknown]>([
    ['ok not boolean', { t: 'res', id: 1, ok: 1 }],
    ['error without code', { t: 'res', id: 1, ok: false, message: 'm' }],
    ['error with empty code', { t: 'res', id: 1, ok: false, code: '', message: 'm' }],
    ['error without message', { t: 'res', id: 1, ok: false, code: 'E' }],
    ['message over 4096 chars', { t: 'res', id: 1, ok: false, code: 'E', message: 'm'.repeat(4097) }],
    ['missing id', { t: 'res', ok: true }],
  ])('rejects %s', (_name, value) => {
    expect(() => parseResponse(value)).toThrow(ProtocolError);
  });
});
