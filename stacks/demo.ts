/**
 * The two-service demo as a stack: the external service on host port 3000 calls the counter service,
 * which nothing outside reaches. Both have the internet (for nothing but the habit of the original
 * demo) and a healthcheck; the external service starts once the counter is healthy. Each starts with
 * its image's CMD; PORT is set here so that a pod (renderPodmanKube) can move a clashing one.
 *   npx tsx scripts/stack.ts up stacks/demo.ts   ·   npx tsx scripts/stack.ts kube stacks/demo.ts
 */
import { defineStack } from '../sdk/index.ts';

export default defineStack({
  name: 'demo',
  services: {
    'counter-service': {
      build: { file: 'conductorfiles/counter-service.Conductorfile', context: '.' },
      image: 'counter-service',
      env: { PORT: '8080' },
      expose: [8080],
      internet: true,
      healthcheck: {
        test: [
          '/bin/bash',
          '-c',
          'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /health HTTP/1.0\\r\\n\\r\\n" >&3 && grep -q ok <&3',
        ],
        intervalMs: 1000,
        timeoutMs: 2000,
        retries: 3,
      },
    },
    'external-service': {
      build: { file: 'conductorfiles/external-service.Conductorfile', context: '.' },
      image: 'external-service',
      env: { COUNTER_SERVICE_URL: 'http://{{counter-service}}:8080', PORT: '8080' },
      ports: [{ container: 8080, host: 3000 }],
      internet: true,
      peers: ['counter-service'],
      dependsOn: { 'counter-service': 'healthy' },
      healthcheck: {
        test: [
          'python3',
          '-c',
          "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=2)",
        ],
        intervalMs: 1000,
        timeoutMs: 3000,
        retries: 3,
      },
    },
  },
});
