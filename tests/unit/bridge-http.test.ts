import { describe, expect, test } from '@jest/globals';
import { originAllowed } from '../../bridge/http/cors.js';
import { errors, sendError } from '../../bridge/http/errors.js';
import { bindAddresses, isLoopback } from '../../bridge/http/listen.js';

describe('listen addresses', () => {
  test('a loopback host binds both IPv4 and IPv6 loopback', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]']) {
      expect(isLoopback(h)).toBe(true);
      expect(bindAddresses(h)).toEqual(['127.0.0.1', '::1']);
    }
  });
  test('any other host binds as given', () => {
    expect(bindAddresses('0.0.0.0')).toEqual(['0.0.0.0']);
    expect(bindAddresses('[fd00::1]')).toEqual(['fd00::1']);
  });
});

describe('CORS origins', () => {
  test('exact, regular expression (as the anchor) and *', () => {
    expect(originAllowed('https://a.example', ['https://a.example'])).toBe(true);
    expect(originAllowed('https://b.example', ['https://.*\\.example'])).toBe(true);
    expect(originAllowed('https://evil.com', ['https://.*\\.example'])).toBe(false);
    expect(originAllowed('https://x', ['*'])).toBe(true);
    expect(originAllowed('https://x', ['('])).toBe(false);
  });
});

describe('error bodies', () => {
  test('written as the anchor: vnd.kafka.v2+json, explicit length, validation_errors only when present', () => {
    const headers: Record<string, string> = {};
    let status = 0;
    let body = '';
    const res = {
      headersSent: false,
      status(c: number) {
        status = c;
        return res;
      },
      setHeader(k: string, v: string) {
        headers[k] = v;
      },
      end(b?: string) {
        body = b ?? '';
      },
    };
    sendError(res, errors.topicNotFound('t'));
    expect(status).toBe(404);
    expect(headers['Content-Type']).toBe('application/vnd.kafka.v2+json');
    expect(headers['Content-Length']).toBe(String(Buffer.byteLength(body)));
    expect(JSON.parse(body)).toEqual({ error_code: 404, message: 'The specified topic was not found: t' });
    sendError(res, errors.schemaValidation(['a', 'b']));
    expect(JSON.parse(body).validation_errors).toEqual(['a', 'b']);
    sendError(res, new Error('boom'));
    expect(JSON.parse(body)).toEqual({ error_code: 500, message: 'boom' });
  });
});
