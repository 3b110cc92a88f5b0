// Recognising a value we injected without storing it: a salted HMAC-SHA256 with a fresh random
// salt per injection. The state file then holds nothing that reveals or confirms a value
// without the value itself.
import { nodeCrypto } from '../core/lazy-load.js';

export function newSalt(): string {
  return nodeCrypto().randomBytes(16).toString('hex');
}

export function macOf(value: string, salt: string): string {
  return nodeCrypto().createHmac('sha256', Buffer.from(salt, 'hex')).update(value, 'utf8').digest('hex');
}

export function macMatches(value: string, salt: string, mac: string): boolean {
  const a = Buffer.from(macOf(value, salt), 'hex');
  const b = Buffer.from(mac, 'hex');
  return a.length === b.length && nodeCrypto().timingSafeEqual(a, b);
}
