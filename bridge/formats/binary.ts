import { errors } from '../http/errors.js';
import type { FormatConverter } from './types.js';

// Java's Base64.getDecoder() (what the anchor uses) is strict; Buffer.from(s, 'base64') silently
// skips bad characters, which would store different bytes than the client meant. Check first.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isBase64(s: string): boolean {
  return BASE64.test(s);
}

/** The binary embedded format: keys and values are base64 strings of arbitrary bytes. */
export const binaryConverter: FormatConverter = {
  format: 'binary',
  contentType: 'application/vnd.kafka.binary.v2+json',
  toBytes(field, value) {
    if (value === null) return null;
    if (typeof value !== 'string') {
      throw errors.recordConversion(
        `Because the embedded format is 'binary', the ${field} must be a base64 string`,
      );
    }
    if (!isBase64(value)) {
      throw errors.recordConversion(`The ${field} is not valid base64 (embedded format 'binary')`);
    }
    return Buffer.from(value, 'base64');
  },
  fromBytes(_field, bytes) {
    return bytes === null ? null : bytes.toString('base64');
  },
};
