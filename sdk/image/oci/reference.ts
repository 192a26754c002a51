/**
 * Image references, pure, by the grammar of distribution/reference (what docker, podman and skopeo
 * accept): `[host[:port]/]path[:tag][@sha256:hex]`, lowercase path components.
 *
 * The FROM rule: a reference whose first component names a registry host — it contains a `.` or a
 * `:`, or is `localhost` (docker's own test) — is pulled from that registry
 * (`FROM docker.io/library/python:3.12-slim`, `FROM 127.0.0.1:5000/team/base:1`). Anything else is
 * what it always was: a debootstrap base (`debian:bookworm`) or a local image.
 */
import { ConductorError } from '../../errors.ts';

export interface ImageReference {
  /** Registry host[:port]; absent when the text names none. */
  domain?: string;
  /** Repository path, e.g. `library/python`, `team/base`. */
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
// A DNS label; a host is dot-separated labels or a bracketed IPv6 address, then an optional port.
const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`);

/** Docker's rule for "the first component is a registry". */
export function looksLikeDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

function invalid(text: string, why: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid image reference "${text}": ${why}`, {
    hint: 'write it as host[:port]/path[:tag], lowercase, e.g. 127.0.0.1:5000/team/base:1',
  });
}

/**
 * Parse a reference. Throws INVALID_ARGUMENT with the reason.
 *
 * @example
 * parseReference('127.0.0.1:5000/bars/x:1'); // { domain: '127.0.0.1:5000', path: 'bars/x', tag: '1' }
 */
export function parseReference(text: string): ImageReference {
  if (text.length === 0 || text.length > 255 + 128 + 72) throw invalid(text, 'empty or too long');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(text, `bad digest "${digest}" (sha256:<64 hex>)`);
  }
  const parts = rest.split('/');
  let domain: string | undefined;
  if (parts.length > 1 && looksLikeDomain(parts[0]!)) {
    domain = parts.shift()!;
    if (!HOST.test(domain)) throw invalid(text, `bad registry host "${domain}"`);
  }
  let tag: string | undefined;
  const last = parts[parts.length - 1]!;
  const colon = last.indexOf(':');
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(text, `bad tag "${tag}"`);
  }
  for (const p of parts) {
    if (!COMPONENT.test(p)) throw invalid(text, `bad name component "${p}" (lowercase letters, digits and . _ -)`);
  }
  const ref: ImageReference = { path: parts.join('/') };
  if (domain) ref.domain = domain;
  if (tag) ref.tag = tag;
  if (digest) ref.digest = digest;
  return ref;
}

export function formatReference(r: ImageReference): string {
  return `${r.domain ? `${r.domain}/` : ''}${r.path}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/**
 * Whether a FROM names a registry image (see the rule above) rather than a base or a local image.
 * @example isRegistryReference('docker.io/library/alpine:3.20'); // true; 'debian:bookworm' is a base
 */
export function isRegistryReference(text: string): boolean {
  const first = text.split('/')[0]!;
  return text.includes('/') && looksLikeDomain(first);
}

/** The local name of a pulled image: the last path component (`x` for `host:5000/bars/x:1`). */
export function defaultLocalName(ref: ImageReference): string {
  return ref.path.split('/').pop()!;
}

/**
 * The name an export carries: `--tag` if given, else `localhost/<image>:latest` (what podman
 * names an unqualified local image). A missing host becomes `localhost/`, a missing tag `latest`.
 *
 * @example
 * exportName('web'); // 'localhost/web:latest'
 * exportName('Web_1', 'team/web:2'); // 'localhost/team/web:2'
 */
export function exportName(image: string, tag?: string): string {
  let ref: ImageReference;
  if (tag === undefined) {
    if (!COMPONENT.test(image)) {
      throw new ConductorError(
        'INVALID_ARGUMENT',
        `image name "${image}" is not a valid reference (uppercase or "_" at an edge)`,
        {
          hint: 'name the export: --tag localhost/NAME:TAG',
        },
      );
    }
    ref = { path: image };
  } else {
    ref = parseReference(tag);
    if (ref.digest) throw invalid(tag, 'an export is named by a tag, not a digest');
  }
  return formatReference({ domain: ref.domain ?? 'localhost', path: ref.path, tag: ref.tag ?? 'latest' });
}
