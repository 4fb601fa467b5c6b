/**
 * A bounded GET of a text document (etcd's /metrics) with the client TLS settings: the same CA,
 * client certificate and key the gRPC clients use. Answers above the size bound are cut off.
 */
import type { RequestOptions } from 'node:https';

export interface FetchCredentials {
  rootCertificate: Buffer;
  privateKey?: Buffer;
  certChain?: Buffer;
}

/** etcd's exposition is ~100-300 KiB; anything far bigger is not what we asked for. */
const MAX_BYTES = 8 << 20;

/** node:http and node:https load on the first scrape, not with the console (they are ~8 ms of its start). */
export async function fetchText(url: string, credentials: FetchCredentials | undefined, timeoutMs: number): Promise<string> {
  const secure = url.startsWith('https://');
  const { request: send } = secure ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const options: RequestOptions = { method: 'GET', timeout: timeoutMs, headers: { accept: 'text/plain' } };
    if (secure && credentials) {
      if (credentials.rootCertificate.length) options.ca = credentials.rootCertificate;
      if (credentials.certChain) options.cert = credentials.certChain;
      if (credentials.privateKey) options.key = credentials.privateKey;
    }
    const request = send(url, options, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${url}: HTTP ${res.statusCode ?? '?'}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) {
          request.destroy(new Error(`GET ${url}: answer larger than ${MAX_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    const timer = setTimeout(() => request.destroy(new Error(`deadline exceeded: GET ${url} took longer than ${timeoutMs} ms`)), timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('timeout', () => request.destroy(new Error(`deadline exceeded: GET ${url} took longer than ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });
}
