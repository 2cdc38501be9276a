import type { Socket } from 'node:net';

/**
 * Writes frames to a socket, batching every frame written in one turn of the
 * event loop into a single writev: the socket is corked at the first write
 * and uncorked by `setImmediate`, which runs after the poll phase has handled
 * every socket that was readable. So the frames produced by all requests and
 * replies that arrived together leave in one syscall per peer. (Uncorking on
 * `process.nextTick` batched only one socket's burst; on this kind of machine a
 * loopback write costs tens of microseconds, more than the work of a reply.)
 */
export class FrameWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  /**
   * Queues a frame. Returns false when the socket's buffer is over its high
   * water mark and the caller should stop producing until 'drain'.
   */
  write(frame: Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncork);
    }
    return this.socket.write(frame);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    if (!this.socket.destroyed) this.socket.uncork();
  };
}
