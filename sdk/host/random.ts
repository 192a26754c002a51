/**
 * Random names without node:crypto: loading it costs node ~5 ms (4–7 ms measured in-process with
 * process.hrtime), more than a whole `run` spends on its own state files. The kernel's CSPRNG, read
 * directly, gives the same bytes randomBytes() would.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * `bytes` random bytes from /dev/urandom, as lowercase hex.
 * @example randomHex(4); // e.g. '9a6b3498'
 */
export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < bytes;) got += readSync(fd, buf, got, bytes - got, null);
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}
