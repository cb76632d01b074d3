import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDicomWebUrl } from '../../src/dicomweb/dicomwebClient.js';
import { boundaryOf, buildMultipart, parseMultipart } from '../../src/dicomweb/multipart.js';
import { parseDimseAddress } from '../../src/dimse/cStore.js';

describe('multipart/related', () => {
  it('round-trips parts, including bytes that look like CRLF and dashes', () => {
    const parts = [Buffer.from('DICM\r\n--x\r\n'), Buffer.alloc(0), Buffer.from([0, 255, 13, 10, 45, 45])];
    const { body, contentType } = buildMultipart(parts);
    const back = parseMultipart(body, boundaryOf(contentType));
    assert.deepEqual(
      back.map((p) => [...p.body]),
      parts.map((p) => [...p]),
    );
    assert.equal(back[0].headers['content-type'], 'application/dicom');
  });

  const BOUNDARIES: [string, string][] = [
    ['multipart/related; type="application/dicom"; boundary=abc', 'abc'],
    ['multipart/related; boundary="a b;c"; type=application/dicom', 'a b;c'],
  ];
  for (const [ct, b] of BOUNDARIES) it(`reads the boundary of ${ct}`, () => assert.equal(boundaryOf(ct), b));

  const BAD: [string, () => unknown, RegExp][] = [
    ['a body cut short', () => parseMultipart(Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\nDICM...'), 'b'), /ends inside part 1 .*cut short/],
    ['no boundary in the body', () => parseMultipart(Buffer.from('hello'), 'b'), /holds no boundary "b"/],
    ['a JSON answer where multipart was asked', () => boundaryOf('application/json'), /expected a multipart answer/],
  ];
  for (const [name, f, pattern] of BAD) it(`rejects ${name}`, () => assert.throws(f, pattern));
});

describe('server addresses', () => {
  const OK: [string, string][] = [
    ['dicomweb://pacs:8042/dicom-web/', 'http://pacs:8042/dicom-web'],
    ['dicomwebs://pacs.example.org/wado', 'https://pacs.example.org/wado'],
    ['http://127.0.0.1:8042/dicom-web', 'http://127.0.0.1:8042/dicom-web'],
  ];
  for (const [address, base] of OK) it(`takes ${address}`, () => assert.equal(parseDicomWebUrl(address).base, base));
  const BAD: [string, RegExp][] = [
    ['dicomweb://user:secret@pacs/dicom-web', /credentials in a DICOMweb address are refused/],
    ['ftp://pacs/x', /starts with dicomweb:\/\//],
    ['dicomweb://pacs/dicom-web?Modality=CT', /give the query with --query/],
    ['not a url', /is not a DICOMweb address/],
  ];
  for (const [address, pattern] of BAD) it(`refuses ${address}`, () => assert.throws(() => parseDicomWebUrl(address), pattern));

  it('parses a DIMSE peer and refuses a bad AE title', () => {
    assert.deepEqual(parseDimseAddress('dicom://ORTHANC@pacs:4242'), { host: 'pacs', port: 4242, calledAe: 'ORTHANC', label: 'ORTHANC@pacs:4242' });
    assert.throws(() => parseDimseAddress('dicom://pacs:4242'), /expected dicom:\/\/CALLED_AE@HOST:PORT/);
    assert.throws(() => parseDimseAddress('dicom://WAY_TOO_LONG_AE_TITLE@pacs:4242'), /must be 1-16 printable/);
  });
});

describe('DicomWebClient.search', () => {
  it('stops a server that pages forever at maxResults, with the reason', async () => {
    const { createServer } = await import('node:http');
    const { DicomWebClient, parseDicomWebUrl } = await import('../../src/dicomweb/dicomwebClient.js');
    // Every page is full, whatever the offset: a paging loop without a bound would never end.
    const server = createServer((req, res) => {
      const limit = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('limit'));
      res.setHeader('content-type', 'application/dicom+json');
      res.end(JSON.stringify(Array.from({ length: limit }, () => ({ '0020000E': { vr: 'UI', Value: ['1.2'] } }))));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const client = new DicomWebClient(parseDicomWebUrl(`dicomweb://127.0.0.1:${port}/dicom-web`), undefined, { maxResponseBytes: 2 ** 20, pageSize: 10, maxResults: 35, timeoutMs: 5000 });
      await assert.rejects(client.search('/series'), /more than 35 matches; narrow the query/);
    } finally {
      server.close();
    }
  });
});
