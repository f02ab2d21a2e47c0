/**
 * Per-run key material for the harness, made with the `openssl` and `htpasswd`
 * command-line tools: a CA, a server certificate for 127.0.0.1/localhost signed
 * by it, a token-signing certificate, and bcrypt htpasswd lines.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';

function exec(bin: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') {
          reject(new Error(`${bin} not found: run scripts/install-system-deps.sh`));
          return;
        }
        reject(new Error(`${bin} ${args.join(' ')} failed: ${stderr || err.message}`));
        return;
      }
      resolve(stdout);
    });
  });
}

export interface CaFiles {
  caFile: string;
  caKeyFile: string;
  caPem: string;
}

/** A self-signed P-256 CA valid for two days. */
export async function generateCa(dir: string, commonName: string): Promise<CaFiles> {
  await mkdir(dir, { recursive: true });
  const caKeyFile = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.pem');
  await exec('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', caKeyFile, '-out', caFile, '-days', '2', '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { caFile, caKeyFile, caPem: await readFile(caFile, 'utf8') };
}

export interface LeafFiles {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

/** A P-256 leaf certificate signed by `ca` with the given X.509 v3 extensions. */
export async function generateLeaf(dir: string, name: string, ca: CaFiles, commonName: string, extensions: string[]): Promise<LeafFiles> {
  const keyFile = path.join(dir, `${name}.key`);
  const csrFile = path.join(dir, `${name}.csr`);
  const certFile = path.join(dir, `${name}.crt`);
  const extFile = path.join(dir, `${name}.ext`);
  await exec('openssl', [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', csrFile, '-subj', `/CN=${commonName}`,
  ]);
  await writeFile(extFile, extensions.join('\n') + '\n');
  await exec('openssl', [
    'x509', '-req', '-in', csrFile, '-CA', ca.caFile, '-CAkey', ca.caKeyFile, '-set_serial', `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
    '-days', '2', '-sha256', '-extfile', extFile, '-out', certFile,
  ]);
  return { certFile, keyFile, certPem: await readFile(certFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8') };
}

export interface ServerCertFiles {
  caFile: string;
  caPem: string;
  /** A directory containing only `ca.crt` (the layout skopeo's --cert-dir expects). */
  certDir: string;
  certFile: string;
  keyFile: string;
}

/** CA + server certificate (SAN IP:127.0.0.1, DNS:localhost) for a TLS registry. */
export async function generateServerCert(dir: string): Promise<ServerCertFiles> {
  const ca = await generateCa(dir, 'airlift test CA');
  const leaf = await generateLeaf(dir, 'server', ca, '127.0.0.1', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  const certDir = path.join(dir, 'certs.d');
  await mkdir(certDir, { recursive: true });
  await copyFile(ca.caFile, path.join(certDir, 'ca.crt'));
  return { caFile: ca.caFile, caPem: ca.caPem, certDir, certFile: leaf.certFile, keyFile: leaf.keyFile };
}

/** One bcrypt htpasswd line (`user:$2y$...`) from `htpasswd -Bbn`. */
export async function htpasswdLine(username: string, password: string): Promise<string> {
  const out = await exec('htpasswd', ['-Bbn', username, password]);
  const line = out.split('\n').find((l) => l.startsWith(`${username}:`));
  if (!line) throw new Error(`htpasswd printed no line for ${username}`);
  return line + '\n';
}
