import type { Request, Response } from 'express';
import type { Operation } from './contract.js';
import { errors, sendError } from './errors.js';

/** What the contract middleware established about a request (see app.ts). */
export interface Validated {
  readonly op: Operation;
  readonly params: Record<string, string | number>;
  readonly query: Record<string, string | number | boolean>;
  /** The request body's bytes, for operations with a body (req.body holds them parsed). */
  readonly rawBody?: Buffer;
}

export function validated(res: Response): Validated {
  const v = res.locals.contract as Validated | undefined;
  if (!v) throw errors.internal('request reached a contract route without validation');
  return v;
}

/** An async handler whose failures become catalogue errors. */
export function route(h: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      await h(req, res);
    } catch (err) {
      sendError(res, err);
    }
  };
}
