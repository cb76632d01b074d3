import dimse from 'dcmjs-dimse';

export class DimseError extends Error {
  override name = 'DimseError';
}

/** A DIMSE peer: dicom://CALLED_AE@HOST:PORT (the calling AE title is SegFusion's, SEGFUSION unless configured). */
export interface DimsePeer {
  host: string;
  port: number;
  calledAe: string;
  label: string;
}

const AE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;

export const isDimseAddress = (p: string): boolean => /^dicom:\/\//i.test(p);

export function parseDimseAddress(value: string): DimsePeer {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DimseError(`"${value}" is not a DIMSE address; expected dicom://CALLED_AE@HOST:PORT`);
  }
  const calledAe = decodeURIComponent(url.username);
  if (url.protocol !== 'dicom:' || !calledAe || !url.port || url.password || url.pathname.replace(/\/+$/, '')) throw new DimseError(`"${value}": expected dicom://CALLED_AE@HOST:PORT, e.g. dicom://ORTHANC@pacs.example.org:4242`);
  if (!AE.test(calledAe)) throw new DimseError(`called AE title "${calledAe}" must be 1-16 printable characters without "\\"`);
  return { host: url.hostname, port: Number(url.port), calledAe, label: `${calledAe}@${url.host}` };
}

/**
 * C-STORE of Part 10 files to a DIMSE peer (storescu's job), through dcmjs-dimse, which negotiates a
 * presentation context per SOP class and transfer syntax. Resolves when every file was stored with
 * status Success (or a warning); rejects naming the first failure or the network error.
 */
export async function cStore(peer: DimsePeer, files: string[], callingAe: string): Promise<void> {
  if (!AE.test(callingAe)) throw new DimseError(`calling AE title "${callingAe}" must be 1-16 printable characters without "\\"`);
  dimse.log.setLevel('error');
  const client = new dimse.Client();
  const failures: string[] = [];
  for (const file of files) {
    const request = new dimse.requests.CStoreRequest(file);
    request.on('response', (response) => {
      const status = response.getStatus();
      // 0x0000 success; 0xB000, 0xB007, 0xB006 warnings (stored with coercion or elements discarded).
      if (status !== 0 && (status & 0xf000) !== 0xb000) failures.push(`${file}: status 0x${status.toString(16).padStart(4, '0')}`);
    });
    client.addRequest(request);
  }
  await new Promise<void>((resolve, reject) => {
    client.on('networkError', (err: Error) => reject(new DimseError(`C-STORE to ${peer.label}: ${err.message}`)));
    client.on('associationRejected', (r: { reason?: number }) => reject(new DimseError(`C-STORE to ${peer.label}: association rejected (reason ${r.reason ?? 'unknown'}); check the called AE title and that the peer accepts ${callingAe}`)));
    client.on('closed', () => resolve());
    client.send(peer.host, peer.port, callingAe, peer.calledAe, { connectTimeout: 10_000, associationTimeout: 30_000, pduTimeout: 60_000 });
  });
  if (failures.length) throw new DimseError(`C-STORE to ${peer.label} failed: ${failures.join('; ')}`);
}
