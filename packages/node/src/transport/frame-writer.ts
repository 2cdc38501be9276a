import type { Socket } from 'node:net';

/**
 * Writes frames to a socket, batching every frame written in one tick into a
 * single writev: the socket is corked at the first write and uncorked on
 * `process.nextTick`. A nextTick scheduled from a promise callback runs only
 * after the whole microtask queue has drained, so responses produced by a burst
 * of handlers resolving together leave in one syscall.
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
      process.nextTick(this.uncork);
    }
    return this.socket.write(frame);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    if (!this.socket.destroyed) this.socket.uncork();
  };
}
