import { X509Certificate } from 'node:crypto';
import { normalizePem } from '../../bridge/config/pem.js';
import { PropertiesSyntaxError, parseProperties } from '../../bridge/config/properties.js';
import { createCa } from '../../certs/certificates.js';

const entries = (text: string) => [...parseProperties(text)];

describe('parseProperties (java.util.Properties syntax)', () => {
  it('reads =, : and whitespace separators, with blanks around the separator dropped', () => {
    expect(entries('a=1\nb:2\nc 3\nd = 4\ne : 5\nf\t6\ng   =   7\n')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
      ['e', '5'],
      ['f', '6'],
      ['g', '7'],
    ]);
  });

  it('takes only one separator: the rest of the line is the value, trailing blanks included', () => {
    expect(entries('a = = b\nc::d\ne=f  \n')).toEqual([
      ['a', '= b'],
      ['c', ':d'],
      ['e', 'f  '],
    ]);
  });

  it('skips # and ! comments (also indented) and blank lines, and a key alone has an empty value', () => {
    expect(entries('# comment\n  ! other comment\n\n   \t\nkey\nx=#not a comment\n')).toEqual([
      ['key', ''],
      ['x', '#not a comment'],
    ]);
  });

  it('decodes escapes in keys and values: \\t \\n \\r \\f \\uXXXX and escaped separators', () => {
    expect(entries('my\\=key\\:x\\ y=v\\tw\\nx\\u00e9\\u20AC\\\\z\\q\n')).toEqual([
      ['my=key:x y', 'v\tw\nxé€\\zq'],
    ]);
  });

  it('joins continuation lines, dropping the next line’s leading whitespace', () => {
    expect(entries('list=a,\\\n    b,\\\n\t\tc\nnext=1')).toEqual([
      ['list', 'a,b,c'],
      ['next', '1'],
    ]);
  });

  it('treats an even number of trailing backslashes as escaped backslashes, not a continuation', () => {
    expect(entries('a=x\\\\\nb=y')).toEqual([
      ['a', 'x\\'],
      ['b', 'y'],
    ]);
  });

  it('continues into a line that looks like a comment, and ends at an empty continuation line', () => {
    expect(entries('a=1\\\n  # still a\nb=2\\\n\nc=3\n')).toEqual([
      ['a', '1# still a'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  it('does not continue a comment that ends in a backslash', () => {
    expect(entries('# comment \\\na=1')).toEqual([['a', '1']]);
  });

  it('accepts \\r\\n and \\r line ends, a BOM, and a dangling backslash on the last line', () => {
    expect(entries('\ufeffa=1\r\nb=2\rc=3\\\r\n  4\r\nd=5\\')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '34'],
      ['d', '5'],
    ]);
  });

  it('keeps the first position and the last value of a repeated key', () => {
    expect(entries('a=1\nb=2\na=3')).toEqual([
      ['a', '3'],
      ['b', '2'],
    ]);
  });

  it('rejects a malformed \\u escape with the line number', () => {
    expect(() => parseProperties('ok=1\n\nbad=\\u12G4')).toThrow(PropertiesSyntaxError);
    expect(() => parseProperties('ok=1\n\nbad=\\u12G4')).toThrow(/^line 3: malformed \\uXXXX escape/);
  });

  it('reads a PEM folded with \\ continuations, which normalizePem turns back into a certificate OpenSSL reads', async () => {
    const ca = await createCa('folded');
    const lines = ca.cert.trim().split(/\r?\n/);
    // How Kafka's docs fold PEM values: each line ends in `\`, the next is indented.
    const folded = `kafka.ssl.truststore.certificates=${lines.join(' \\\n    ')}\nnext=1\n`;
    const props = parseProperties(folded);
    const value = props.get('kafka.ssl.truststore.certificates')!;
    expect(value).not.toContain('\n'); // continuations join lines without a newline
    expect(props.get('next')).toBe('1');
    const pem = normalizePem(value);
    expect(new X509Certificate(pem).fingerprint256).toBe(new X509Certificate(ca.cert).fingerprint256);
  });

  it('reads a PEM written with \\n escapes and continuations as the exact text', async () => {
    const ca = await createCa('escaped');
    const lines = ca.cert.trim().split(/\r?\n/);
    const text = `pem=${lines.join('\\n\\\n  ')}\n`;
    expect(parseProperties(text).get('pem')).toBe(lines.join('\n'));
  });
});

describe('normalizePem', () => {
  it('keeps several blocks, re-wraps base64 at 64 columns, and rejects text without a block', () => {
    const body = 'QUJD'.repeat(40);
    const out = normalizePem(
      `-----BEGIN CERTIFICATE-----${body}-----END CERTIFICATE----- -----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`,
    );
    const blocks = out.split('-----END CERTIFICATE-----').filter((b) => b.trim() !== '');
    expect(blocks).toHaveLength(2);
    expect(out.split('\n').every((l) => l.length <= 64 || l.startsWith('-----'))).toBe(true);
    expect(() => normalizePem('not a pem')).toThrow(/no PEM block found/);
    expect(() => normalizePem('-----BEGIN PRIVATE KEY-----%%%-----END PRIVATE KEY-----')).toThrow(
      'the PRIVATE KEY block is not base64',
    );
  });
});
