/** The `ringkv` command's exit codes; scripts depend on them, so they never change meaning. */
export const EXIT = {
  ok: 0,
  /** the node answered with an error, or could not be reached */
  requestFailed: 1,
  /** bad flags or arguments; nothing was sent */
  usage: 2,
  /** `get` of a key that is absent or deleted */
  notFound: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
