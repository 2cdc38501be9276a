/** The slice of a pino-style logger the transport uses. */
export interface TransportLogger {
  warn(obj: object, msg: string): void;
}

export const silentLogger: TransportLogger = { warn: () => {} };
