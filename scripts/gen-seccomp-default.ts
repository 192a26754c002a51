#!/usr/bin/env -S npx tsx
/**
 * Regenerates sdk/security/seccomp/default.json, the profile conductor falls back to on hosts without
 * Debian's golang-github-containers-common: Docker's restrictions (sdk/security/seccomp/docker-gates.ts)
 * applied to that package's /usr/share/containers/seccomp.json (podman's profile, Apache-2.0).
 * A unit test fails when the two drift apart; run this then:
 *
 *   npx tsx scripts/gen-seccomp-default.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BUILTIN_PROFILE, DISTRO_PROFILE } from '../sdk/security/seccomp/filter.ts';
import { builtinProfileText } from '../sdk/security/seccomp/builtin.ts';

const text = builtinProfileText(readFileSync(DISTRO_PROFILE, 'utf8'));
writeFileSync(BUILTIN_PROFILE, text);
process.stderr.write(`gen-seccomp-default: wrote ${BUILTIN_PROFILE} from ${DISTRO_PROFILE}\n`);
