import type { Request } from 'express';
import ipaddr from 'ipaddr.js';

/** Bytes of an IPv6 address that name one customer: a /56 (what ISPs hand out, as express-rate-limit counts). */
const IPV6_PREFIX_BYTES = 7;

/**
 * The address a guest's creation is counted under: the IPv4 address (also
 * when IPv4-mapped), or the /56 network of an IPv6 address, since one
 * client can pick any address inside it. `req.ip` honours Express's
 * `trust proxy` setting. Null when the socket is already gone.
 */
export function clientAddressOf(req: Request): string | null {
  const ip = req.ip ?? req.socket?.remoteAddress;
  if (!ip || !ipaddr.isValid(ip)) return null;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const bytes = address.toByteArray().map((byte, index) => (index < IPV6_PREFIX_BYTES ? byte : 0));
  return `${ipaddr.fromByteArray(bytes).toString()}/${IPV6_PREFIX_BYTES * 8}`;
}
