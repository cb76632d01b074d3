import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A free loopback TCP port (the OS picks; closed again before Orthanc takes it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface OrthancServer {
  /** REST root, e.g. http://127.0.0.1:PORT */
  rest: string;
  /** DICOMweb root as SegFusion takes it: dicomweb://127.0.0.1:PORT/dicom-web */
  dicomweb: string;
  /** DIMSE (C-STORE) address: dicom://ORTHANC@127.0.0.1:PORT */
  dimse: string;
  user: string;
  password: string;
  /** Orthanc's REST API with the test credentials (an independent peer: not SegFusion's client). */
  api(pathname: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A real Orthanc (Debian packages orthanc + orthanc-dicomweb) on free loopback ports, with HTTP basic
 * authentication on, its storage in `dir`. Resolves when its REST API answers.
 */
export async function startOrthanc(dir: string): Promise<OrthancServer> {
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const user = 'segfusion';
  const password = 'orthanc-test-secret';
  fs.mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const config = {
    Name: 'segfusion-test',
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: 'ORTHANC',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'storage'),
    Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [user]: password },
  };
  const file = path.join(dir, 'orthanc.json');
  fs.writeFileSync(file, JSON.stringify(config));
  const child: ChildProcess = spawn('/usr/sbin/Orthanc', [file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const rest = `http://127.0.0.1:${httpPort}`;
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const api = (pathname: string, init: RequestInit = {}) => fetch(`${rest}${pathname}`, { ...init, headers: { Authorization: auth, ...(init.headers ?? {}) } });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited (${child.exitCode}): ${log}`);
    try {
      if ((await api('/system')).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200) throw new Error(`Orthanc did not answer on ${rest} within 20 s: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    rest,
    dicomweb: `dicomweb://127.0.0.1:${httpPort}/dicom-web`,
    dimse: `dicom://ORTHANC@127.0.0.1:${dicomPort}`,
    user,
    password,
    api,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
