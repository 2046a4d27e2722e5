import type { Response } from 'express';
import { KAFKA_JSON } from './errors.js';

/** A JSON response as the anchor sends them: explicit Content-Type and Content-Length. */
export function sendJson(res: Response, status: number, value: unknown, contentType = KAFKA_JSON): void {
  const body = JSON.stringify(value);
  res.status(status);
  // setHeader, not res.set: express would append "; charset=utf-8", which the anchor does not send.
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.end(body);
}

export function sendNoContent(res: Response): void {
  res.status(204).end();
}
