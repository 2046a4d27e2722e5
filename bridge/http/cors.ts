import type { NextFunction, Request, Response } from 'express';

/** The anchor's fixed list of allowed request headers (HttpBridge.getCorsHandler). */
export const CORS_ALLOWED_HEADERS =
  'x-requested-with,x-forwarded-proto,x-forwarded-host,access-control-allow-origin,access-control-allow-methods,origin,content-type,content-length,accept';

export interface CorsOptions {
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods: readonly string[];
}

/**
 * An origin is allowed when it equals an entry, matches it as a regular expression (the anchor
 * hands the whole string to Vert.x addOriginWithRegex), or the entry is `*`.
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => {
    if (a === '*' || a === origin) return true;
    try {
      return new RegExp(`^(?:${a})$`).test(origin);
    } catch {
      return false;
    }
  });
}

export function cors(opts: CorsOptions) {
  const methods = opts.allowedMethods.join(',');
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.get('origin');
    if (!origin || !originAllowed(origin, opts.allowedOrigins)) {
      next();
      return;
    }
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Vary', 'Origin');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.set('Access-Control-Allow-Methods', methods);
      res.set('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.status(204).end();
      return;
    }
    next();
  };
}
