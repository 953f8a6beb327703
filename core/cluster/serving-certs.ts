import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

// The API serves HTTPS because kubectl (client-go) will not send a bearer token over
// plain HTTP. Each data directory gets its own small CA (kept there, mode 0600 as every file there)
// and a serving certificate for 127.0.0.1, ::1 and localhost, signed by it; the CA
// goes into the kubeconfig. The serving certificate is renewed when it nears expiry.

export interface ServingCerts {
  caCert: string;
  cert: string;
  key: string;
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export async function loadOrCreateServingCerts(dataDir: string): Promise<ServingCerts> {
  const files = {
    caCert: join(dataDir, 'ca.crt'),
    caKey: join(dataDir, 'ca.key'),
    cert: join(dataDir, 'apiserver.crt'),
    key: join(dataDir, 'apiserver.key'),
  };
  let ca = await readPair(files.caCert, files.caKey);
  if (!ca || expiresSoon(ca.cert)) {
    ca = await createCa();
    await writeFile(files.caKey, ca.key, { mode: 0o600 });
    await writeFile(files.caCert, ca.cert, { mode: 0o600 });
  }
  let serving = await readPair(files.cert, files.key);
  if (!serving || expiresSoon(serving.cert) || !issuedBy(serving.cert, ca.cert)) {
    serving = await createServingCert(ca);
    await writeFile(files.key, serving.key, { mode: 0o600 });
    await writeFile(files.cert, serving.cert, { mode: 0o600 });
  }
  return { caCert: ca.cert, cert: serving.cert, key: serving.key };
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } catch {
    return undefined;
  }
}

function expiresSoon(pem: string): boolean {
  try {
    return new Date(new X509Certificate(pem).validTo).getTime() - Date.now() < RENEW_BEFORE_MS;
  } catch {
    return true;
  }
}

function issuedBy(pem: string, caPem: string): boolean {
  try {
    return new X509Certificate(pem).checkIssued(new X509Certificate(caPem));
  } catch {
    return false;
  }
}

function yearsFromNow(years: number): Date {
  const date = new Date();
  date.setFullYear(date.getFullYear() + years);
  return date;
}

async function createCa(): Promise<{ cert: string; key: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'kubelab-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: yearsFromNow(10),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function createServingCert(ca: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'kubelab-apiserver' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: yearsFromNow(1),
    ca: { cert: ca.cert, key: ca.key },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
