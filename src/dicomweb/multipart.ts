/** One part of a multipart/related body (RFC 2387): its headers (lower-case names) and bytes. */
export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

export class MultipartError extends Error {
  override name = 'MultipartError';
}

/** The boundary parameter of a multipart Content-Type, quoted or not. */
export function boundaryOf(contentType: string): string {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!/^multipart\//i.test(contentType.trim()) || !boundary) throw new MultipartError(`expected a multipart answer with a boundary, got Content-Type "${contentType}"`);
  return boundary;
}

/**
 * Splits a multipart body into its parts. Parts are delimited by CRLF "--boundary" (the first one may
 * start the body), each part's headers end at the first blank line, and "--boundary--" closes the body;
 * a body without the closing delimiter is truncated and rejected, since a DICOM part cut short would
 * otherwise be stored.
 */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError(`multipart body holds no boundary "${boundary}"`);
  for (;;) {
    let start = at + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) return parts;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n', 'latin1'), delimiter]), start);
    if (next < 0) throw new MultipartError(`multipart body ends inside part ${parts.length + 1} (no closing boundary): the transfer was cut short`);
    const headerEnd = body.indexOf('\r\n\r\n', start, 'latin1');
    if (headerEnd < 0 || headerEnd > next) throw new MultipartError(`part ${parts.length + 1} of the multipart body has no header block`);
    const headers: Record<string, string> = {};
    for (const line of body.subarray(start, headerEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
}

/** A multipart/related body of DICOM parts (STOW-RS), and the Content-Type that announces it. */
export function buildMultipart(parts: Buffer[], type = 'application/dicom'): { body: Buffer; contentType: string } {
  const boundary = `segfusion-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\n\r\n`, 'latin1'), p, Buffer.from('\r\n', 'latin1'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="${type}"; boundary=${boundary}` };
}
