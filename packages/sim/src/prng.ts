/** The simulator's randomness: one seeded stream (the generator lives in core so tools share it). */
export { Prng } from '@ringkv/core';
