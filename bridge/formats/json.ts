import { errors } from '../http/errors.js';
import type { FormatConverter } from './types.js';

/**
 * The json embedded format: any JSON value, stored as its JSON text (so the key `"k1"` is the
 * five bytes `"k1"`, quotes included, as in the Strimzi bridge).
 */
export const jsonConverter: FormatConverter = {
  format: 'json',
  contentType: 'application/vnd.kafka.json.v2+json',
  toBytes(_field, value) {
    if (value === null) return null;
    return Buffer.from(JSON.stringify(value), 'utf8');
  },
  fromBytes(field, bytes) {
    if (bytes === null) return null;
    const text = bytes.toString('utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      // The anchor fails the whole poll with 406 here (issues #373, #410); keep that, but say which field.
      throw errors.decodeFailed(`the record ${field} is not JSON (${(err as Error).message})`);
    }
  },
};
