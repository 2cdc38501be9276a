import { describe, expect, it } from 'vitest';
import { errorMessageCharsMax } from './messages.js';
import { responseFor, resultOf } from './rpc-result.js';

describe('responseFor', () => {
  it('wraps valid results', () => {
    expect(responseFor(1, { ok: true, body: 5 })).toEqual({ t: 'res', id: 1, ok: true, body: 5 });
    expect(responseFor(2, { ok: false, code: 'NOPE', message: 'm' })).toEqual({
      t: 'res',
      id: 2,
      ok: false,
      code: 'NOPE',
      message: 'm',
    });
  });

  it('turns a result that is not an RpcResult into INTERNAL', () => {
    for (const bad of [undefined, null, 'ok', { ok: 'yes' }, { ok: false, code: 1, message: 'm' }, { ok: false, code: '', message: '' }]) {
      const response = responseFor(3, bad);
      expect(response.ok ? undefined : response.code).toBe('INTERNAL');
    }
  });

  it('truncates long error messages so the peer accepts them', () => {
    const response = responseFor(4, { ok: false, code: 'E', message: 'm'.repeat(10_000) });
    expect(response.ok ? 0 : response.message.length).toBe(errorMessageCharsMax);
  });

  it('round-trips through resultOf', () => {
    expect(resultOf(responseFor(5, { ok: true, body: [1] }))).toEqual({ ok: true, body: [1] });
  });
});
