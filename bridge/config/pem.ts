/**
 * Puts PEM text into the canonical shape OpenSSL (librdkafka) reads: header line, base64 body in 64-column
 * lines, footer line. Java's Kafka client parses PEM by regex and ignores line breaks, so configurations
 * written for it often fold a PEM block with `\` continuations, which join the lines with no newline
 * (`-----BEGIN CERTIFICATE-----MIIB...-----END CERTIFICATE-----`); OpenSSL rejects that form.
 */

export class PemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PemError';
  }
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Returns the blocks of `text` in canonical form, one after the other; throws PemError without quoting it. */
export function normalizePem(text: string): string {
  const blocks: string[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    const body = m[2]!;
    if (body.includes(':')) {
      // RFC 1421 headers (Proc-Type/DEK-Info of legacy encrypted keys): the line structure carries meaning.
      blocks.push(
        `-----BEGIN ${label}-----${body.startsWith('\n') ? '' : '\n'}${body.trim()}\n-----END ${label}-----`,
      );
      continue;
    }
    const base64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64 === '') {
      throw new PemError(`the ${label} block is not base64`);
    }
    const lines = base64.match(/.{1,64}/g) ?? [];
    blocks.push(`-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`);
  }
  if (blocks.length === 0)
    throw new PemError('no PEM block found (expected -----BEGIN ...----- ... -----END ...-----)');
  return `${blocks.join('\n')}\n`;
}

/** Number of PEM blocks, for log lines that must not print the text itself. */
export function countPemBlocks(text: string): number {
  return [...text.matchAll(BLOCK)].length;
}
