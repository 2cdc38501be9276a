export { TcpTransport } from './tcp-transport.js';
export type { TcpTransportOptions, TcpTransportStats } from './tcp-transport.js';
export {
  connectTimeoutMsDefault,
  handshakeTimeoutMsDefault,
  inFlightRequestCountMaxDefault,
  serverConnectionCountMaxDefault,
} from './tcp-transport.js';
export { FrameDecoder, FrameEncoder, FrameError, frameBytesMaxDefault } from './frame-codec.js';
export type { FrameErrorCode } from './frame-codec.js';
export { formatAddress, outboundLocalAddress, parseAddress } from './address.js';
export type { HostPort } from './address.js';
export type { TransportLogger } from './transport-logger.js';
export type { TransportTls } from './transport-tls.js';
export { handshakeFrameBytesMax } from './messages.js';
