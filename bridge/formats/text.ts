import { errors } from '../http/errors.js';
import type { FormatConverter } from './types.js';

/** The text embedded format: keys and values are JSON strings, stored as UTF-8. */
export const textConverter: FormatConverter = {
  format: 'text',
  contentType: 'application/vnd.kafka.text.v2+json',
  toBytes(field, value) {
    if (value === null) return null;
    if (typeof value !== 'string') {
      // The anchor's exact message.
      throw errors.recordConversion(`Because the embedded format is 'text', the ${field} must be a string`);
    }
    return Buffer.from(value, 'utf8');
  },
  fromBytes(_field, bytes) {
    return bytes === null ? null : bytes.toString('utf8');
  },
};
